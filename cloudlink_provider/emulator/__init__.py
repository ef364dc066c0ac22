"""The local CloudLink: a real HTTP server on a real SQLite file, playing the real service.

Like LocalStack for AWS, it is the embedded default for the demo and the tests.
It imports nothing from the provider side (client, resources, program, fleet):
it may share only `cloudlink_provider.wire`, the facts of the wire it plays (API
version, enums, backend-enforced limits, the SAML certificate format), never the
customer model's validators, so a validator bug on the provider side still shows.

The layout mirrors CloudLink's service map (as moto does AWS's): one folder per
service, each with the same files, `routes.py` (thin FastAPI handlers named
after the API action), `store.py` (all state and every rule, no HTTP) and
`models.py` (the request and response shapes, for the OpenAPI document only):

- `authentication/` tokens, claims, assume-role, and SSO identity providers
- `admin/`          accounts, their users, and the outbox of emails sent
- `gateway/`        gateways, PBX links, the PBX directory and PBX roles
- `integrations/`   the Microsoft Teams integration
- `scim/`           Azure AD Sync, and the SCIM 2.0 endpoint (`/Users`; `filter.py`: SCIM filters)
- `controls/`       the emulator's own `/_emulator/` test controls (`routes.py`, `store.py`: the
                    request journal, faults and rate limiter; `seed.py`: seeding identities, the outbox)

The small core they share: `app` (assembly, the one place errors are rendered),
`gate` (the ASGI layer: correlation ids, journal, faults, rate limit), `server`
(run it in a thread or in the foreground), `store` (every service's store over one
database), `db` (SQLite), `errors` (CloudLink's `{name, message}` errors), `common`
(the caller, settings, audit stamps, ETags, HAL lists), `deps` (FastAPI glue for
the routes), `fields` (field rules for partial-body writes, secret hashes),
`openapi` (how a route documents itself; the statuses the gate adds) and
`typed_body` (a documented JSON body has its documented JSON types, or a 400).
"""
