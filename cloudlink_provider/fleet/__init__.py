"""Many customer stacks at once: the Pulumi engine's environment, stack discovery, runs and reports.

Rooms, top-down: `stacks` (which customers, --stacks/--shard, and `StackFile`, the one
reader and writer of `stacks/Pulumi.<customer>.yaml`), `workspace` (the engine
processes: the `pulumi` CLI per stack in its own session, dying with the fleet,
Ctrl-C forwarded once; their events and errors as the Automation API's public
types), `runner` (`run_operation`, the one way the project runs the engine on a
stack, used by the fleet, the demo and the end-to-end tests; and the bounded,
interruptible loop with one outcome per customer), `events` (engine events ->
field-level changes, secrets masked), `failures` (a failed customer's error in
one to three lines), `report` (JSON/Markdown, exit codes), `view` (rich progress
and table), `recover` (what a killed run leaves: dead engines' locks, half-written
file:// blobs, pending creates), `importer` (existing accounts -> stack files),
`engine` (where the engine is, its environment), `errors` (the one domain error).
The drift scan's rooms (`scan`, `checkpoint`, `secrets`, `desired`, `coverage`,
`blind`, `changes`, `progress`) say what they own in their own docstrings; `standards`
hands the customers and their live facts to `cloudlink_provider.standards`.

Uses the real `pulumi` CLI built by tools/ (directly, and the Automation
API's public surface for engine-less commands); never imports the emulator.
"""
