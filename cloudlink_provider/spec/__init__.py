"""The customer spec: pydantic models of one customer deployment, and the rules tables.

This package owns the declarative contract partners write in a stack's config and
every business rule that both sides need (the provider validates with it before
any write; the emulator enforces the same table as the backend). It imports no
other part of the project and does no I/O.
"""
