"""Many customer stacks at once: the fleet wing, one room per job, each importing only the rooms below it.

Top-down (the import contract in pyproject.toml holds this order):

- `render/`: how each command looks on a terminal (`view`, `progress`, `imports`, `recovery`, `welcome`),
  and the `--html` fleet dashboard (`dashboard`: a report's JSON -> one self-contained page);
- `notify/` (beside `commands/`): what `drift` tells Teams, Slack or a webhook (`events`: what is new;
  `teams` | `slack` | `webhook`: pure payloads; `deliver`: posts them through the client, never raising);
- `commands/`: what each command does: `run` (preview, up, drift --engine, refresh, destroy:
  `run_operation`, the one way the project runs an engine operation on a stack, and `Fleet`),
  `recover`, `importer`, `welcome`, `changes`, `nightly` (a drift run's triage and history around it);
- `scan/`: the drift scan without an engine: `loop`, and `preview`, the in-process preview whose
  step rules mirror the engine's (its docstring names the equivalence test that guards it);
- `loop`: the bounded, interruptible loop with one outcome per customer, used by runs and scans;
- `triage` | `history`: the bytes of stacks/drift-accepted.yaml and of the drift history (a folder, or
  `.cloudlink/drift-history/` in the backend);
- `findings`: a drift run's findings classified, pure: new/still since the last run, resolved, accepted in
  triage, what fails the run (`--fail-on`); renderers and notifications read only the fields it writes;
- `report`: what a run found per customer (JSON, Markdown, exit codes);
- `events` | `failures` | `describe` | `preflight` | `passphrase`: engine events -> field-level changes,
  secrets masked; a failure in 1-3 lines; a change in a reviewer's words; the connectivity preflight (one
  token grant per endpoint and client before any plan); the no-default-passphrase rule;
- `layering`: each customer's effective spec and labels from the fleet file and its stack file,
  `--select`, the pre-flight check of bad input (the merge itself is `customer.layers`);
- `engine/`: the one gateway to the `pulumi` CLI (`gateway`: every process, typed results and
  errors carrying stdout and stderr; `Project`), and where the engine is (`env`);
- `state/`: Pulumi's state formats, and nothing else parses them: buckets, DIY layout, checkpoints,
  locks, repairs, passphrase crypto, the PostgreSQL table;
- `stacks` | `import_secrets`: the stack files (`StackFile`, read once per run); where `fleet import`
  takes each customer's write-only secrets;
- `errors`: the one domain error and the exit codes.

Below the wing: `cloudlink_provider.pulumi_facts` (Pulumi's constants, URNs, the project name).
Uses the real `pulumi` CLI built by tools/; never imports the emulator.
"""
