"""The Authentication service (`/authentication/2017-09-01`): tokens, claims, assume-role, SSO identity providers.

The one service Mitel publishes a spec for (tests/reference/). `routes` are the
thin handlers; `store` owns the state and every rule; `models` are its wire
shapes, for the OpenAPI document.
"""
