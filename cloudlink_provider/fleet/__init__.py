"""Many customer stacks at once: the Pulumi engine's environment, stack discovery, runs and reports.

Rooms, top-down: `stacks` (which customers, --stacks/--shard, and `StackFile`, the one
reader and writer of `stacks/Pulumi.<customer>.yaml`), `workspace` (the Automation API
over the project dir, engine processes and their Ctrl-C), `runner` (`run_operation`,
the one way the project runs the engine on a stack, used by the fleet, the demo and the
end-to-end tests; and the bounded, interruptible loop with one outcome per customer),
`events` (engine events -> field-level changes, secrets masked), `failures` (a failed
customer's error in one to three lines), `report` (JSON/Markdown, exit codes), `view`
(rich progress and table), `recover` (what a killed run leaves: dead engines' locks,
half-written file:// blobs, pending creates), `importer` (existing accounts -> stack
files), `engine` (where the engine is, its environment), `errors` (the one domain error).

Uses the real `pulumi` CLI built by tools/ (through the Automation API or
directly); never imports the emulator.
"""
