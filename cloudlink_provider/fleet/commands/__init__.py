"""The fleet's commands, one module each: `run` (preview, up, drift --engine, refresh, destroy), `recover`,
`importer` (`fleet import`), `welcome` (`fleet welcome-email`) and `changes` (`preview --changed-since`).
The drift scan is its own room (`fleet.scan`). Commands decide and return results; render/ shows them."""
