"""The SCIM service (`/scim/2017-09-01`): Azure AD Sync, and the SCIM 2.0 endpoint Azure AD calls.

`routes` are the thin handlers; `store` owns the state and every rule; `models`
are its wire shapes, for the OpenAPI document; `filter` turns SCIM filters into
SQL over the stored users.
"""
