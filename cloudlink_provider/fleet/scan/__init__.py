"""The drift scan: `loop` (per customer, on the fleet loop), `preview` (the in-process preview that mirrors
the engine's step rules, in one module), `desired` (the program's plan as the engine receives it),
`coverage` (what no stack manages) and `blind` (what no drift check can see)."""
