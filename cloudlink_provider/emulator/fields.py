"""Field rules for partial-body writes (gateway and integrations), and how write-only secrets are kept.

Owns the checks every POST/PUT body of those services goes through: unknown
fields, immutable fields, server-set fields, required text, and how write-only
secrets are kept (hashed, under a leading underscore so `common.public` hides
them). Knows no entity and no route; the stores say which fields are which.
"""

from __future__ import annotations

import hashlib
from typing import Any

from .errors import ValidationFailed

# Echoed back by clients that PUT what they read; ignored when unchanged.
AUDIT = frozenset({"createdOn", "createdBy", "modifiedOn", "modifiedBy", "_links"})


def check_fields(body: dict[str, Any], *, writable: set[str], immutable: set[str] = frozenset(),
                 server_set: set[str] = frozenset(), current: dict[str, Any] | None = None) -> None:
    """Reject unknown fields, changes to immutable ones (400 ImmutableField) and server-set values.

    `current` is None on create: then immutable fields are simply writable once.
    """
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    unknown = set(body) - writable - immutable - server_set - AUDIT
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(unknown))}")
    for key in sorted(server_set & set(body)):
        if current is None or body[key] != current.get(key):
            raise ValidationFailed(f"{key} is set by the server")
    if current is not None:
        for key in sorted(immutable & set(body)):
            if body[key] != current.get(key):
                raise ValidationFailed(f"{key} is immutable; replace the resource to change it",
                                       name="ImmutableField")


def text(body: dict[str, Any], key: str, required: bool = True) -> str | None:
    """A non-empty string field (None when absent and not required)."""
    if key not in body and not required:
        return None
    value = body.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ValidationFailed(f"{key} is required and must be a non-empty string")
    return value


def one_of(body: dict[str, Any], key: str, allowed: tuple[str, ...] | set[str], default: str | None = None) -> str:
    value = body.get(key, default)
    if not isinstance(value, str) or value not in allowed:  # a list or object is no member (nor hashable)
        raise ValidationFailed(f"{key} must be one of {', '.join(sorted(allowed))}")
    return value


def secret_hash(secret: str) -> str:
    # Write-only secrets are compared, never shown, so a hash is all we keep.
    return hashlib.sha256(secret.encode()).hexdigest()
