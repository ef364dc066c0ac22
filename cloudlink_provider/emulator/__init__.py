"""The local CloudLink: a real HTTP server on a real SQLite file, playing the real service.

Like LocalStack for AWS, it is the embedded default for the demo and the tests.
It imports nothing from the provider side (client, resources, program, fleet):
it may share only the rules tables in `cloudlink_provider.spec.rules`.

Modules: `errors` (the API's error shape), `store` (all state and every rule),
`auth` (tokens and callers), `routes_*` (thin handlers per service),
`controls` (the `/_emulator/` test controls), `app` (assembly and middleware),
`server` (run it in a thread or in the foreground).
"""
