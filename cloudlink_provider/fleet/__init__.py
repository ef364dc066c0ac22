"""Many customer stacks at once: the Pulumi engine's environment, stack discovery, runs and reports.

Rooms, top-down: `stacks` (which customers, --stacks/--shard), `workspace` (the
Automation API over the project dir, engine processes and their Ctrl-C),
`runner` (the bounded, interruptible loop; one outcome per customer),
`events` (engine events -> field-level changes, secrets masked), `report`
(JSON/Markdown, exit codes), `view` (rich progress and table), `importer`
(existing accounts -> stack files), `errors` (the one domain error).

Uses the real `pulumi` CLI built by tools/ (through the Automation API or
directly); never imports the emulator.
"""
