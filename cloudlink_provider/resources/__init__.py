"""Pulumi dynamic resources for CloudLink, one module per resource.

Each module holds, in order: its inputs model (and the fields that force
replacement), `to_spec` (the one mapping from the live API object the client
returns to that resource's spec fields: `read`, `fleet import` and the fleet
scan all call it), its provider (check, diff, create, read, update, delete) and
the `Resource` subclass with a fixed type name. Providers talk to CloudLink only
through `cloudlink_provider.client`; they never import the emulator.
"""
