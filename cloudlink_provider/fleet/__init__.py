"""Many customer stacks at once: the Pulumi engine's environment, stack discovery, runs and reports.

Rooms, top-down: `stacks` (which customers, --stacks/--shard), `workspace` (the
engine processes: the `pulumi` CLI per stack in its own session, dying with
the fleet, Ctrl-C forwarded once; their events and errors as the Automation
API's public types),
`runner` (the bounded, interruptible loop; one outcome per customer),
`events` (engine events -> field-level changes, secrets masked), `report`
(JSON/Markdown, exit codes), `view` (rich progress and table), `importer`
(existing accounts -> stack files), `errors` (the one domain error).

Uses the real `pulumi` CLI built by tools/ (directly, and the Automation
API's public surface for engine-less commands); never imports the emulator.
"""
