"""The emulator's own test and demo controls, under `/_emulator/` only (never CloudLink's API).

`routes` (reset, journal, faults, settings, seeding partners), `store` (the
in-memory journal, faults and rate limiter of this server process), `seed`
(seeding API clients and users who can log in; the welcome-email outbox),
`models` (their wire shapes, for the OpenAPI document).
"""
