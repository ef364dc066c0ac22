"""How the fleet's results look on a terminal, one renderer per command: `view` (a fleet run's live table
and report), `progress` (the scan's bar), `imports`, `recovery` and `welcome`. Renderers decide nothing."""
