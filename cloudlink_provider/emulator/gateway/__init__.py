"""The Gateway service (`/gateway/2017-09-01`): gateways, PBX links, the PBX directory and PBX roles.

`routes` are the thin handlers (plus the `/_emulator/` controls that stand in
for what a real gateway and PBX report); `store` owns the state and every rule;
`models` are its wire shapes, for the OpenAPI document.
"""
