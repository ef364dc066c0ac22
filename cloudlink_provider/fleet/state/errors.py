"""The state room's one error: a backend or a blob in it that cannot be read as Pulumi writes it."""

from __future__ import annotations


class StateError(Exception):
    """A backend cannot be reached, or holds a blob in a format this room does not know."""
