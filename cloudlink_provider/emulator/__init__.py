"""The local CloudLink: a real HTTP server on a real SQLite file, playing the real service.

Like LocalStack for AWS, it is the embedded default for the demo and the tests.
It imports nothing from the provider side (client, resources, program, fleet):
it may share only `cloudlink_provider.wire`, the facts of the wire it plays (API
version, enums, backend-enforced limits, the SAML certificate format), never the
customer model's validators, so a validator bug on the provider side still shows.

Modules: `errors` (the API's error shape), `store` (all state and every rule),
`auth` (tokens and callers), `users` (admin users, the outbox), `identity`
(SSO identity providers), `scim` (Azure AD Sync, SCIM auth and errors),
`scim_users` and `scim_filter` (SCIM 2.0 /Users), `routes_*` (thin handlers per service),
`controls` (the `/_emulator/` test controls), `app` (assembly and middleware),
`server` (run it in a thread or in the foreground).
"""
