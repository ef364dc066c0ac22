"""How the client spells CloudLink addresses and queries: resource paths and OData `$filter`s.

Owns the quoting of ids into path segments and of values into filter
expressions, so no endpoint group writes either by hand. Sends nothing.
"""

from __future__ import annotations

from urllib.parse import quote


def path(template: str, *ids: str | None) -> str:
    """`template` with each `{}` segment the next id, quoted as one path segment; the segments from the
    first id that is None on are left off (the collection instead of one of its members):
    `path("/accounts/{}/users/{}", "a 1", None)` -> `/accounts/a%201/users`."""
    out: list[str] = []
    given = iter(ids)
    for segment in template.split("/"):
        if segment == "{}":
            value = next(given, None)
            if value is None:
                break
            segment = quote(value, safe="")
        out.append(segment)
    return "/".join(out)


def odata_quote(value: str) -> str:
    """An OData string literal: `O'Brien` -> `'O''Brien'`."""
    return "'" + value.replace("'", "''") + "'"


def where(**equals: str) -> str:
    """The `$filter` that matches every given field exactly: `where(name="Acme")` -> `name eq 'Acme'`."""
    return " and ".join(f"{field} eq {odata_quote(value)}" for field, value in equals.items())
