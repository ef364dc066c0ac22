"""The Integrations service (`/integrations/2017-09-01`): the Microsoft Teams integration of an account.

`routes` are the thin handlers; `store` owns the state and every rule; `models`
are its wire shapes, for the OpenAPI document.
"""
