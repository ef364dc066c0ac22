"""The Admin service (`/admin/2017-09-01`): accounts, their users, and the outbox of emails sent.

`routes` are the thin handlers; `store` owns the state and every rule; `models`
are its wire shapes, for the OpenAPI document.
"""
