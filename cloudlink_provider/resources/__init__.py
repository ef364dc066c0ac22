"""Pulumi dynamic resources for CloudLink, one module per resource.

Each module holds, in order: its inputs model (and the fields that force
replacement), its provider (check, diff, create, read, update, delete) and the
`Resource` subclass with a fixed type name. Providers talk to CloudLink only
through `cloudlink_provider.client`; they never import the emulator.
"""
