"""SCIM filters (RFC 7644 §3.4.2.2) over stored CloudLink users, parsed by scim2-filter-parser.

Owns the map from SCIM User attribute paths to SQL over the user documents
(`json_extract` on the `records` table) and the one subclass of the library's
SQL transpiler that applies it: attribute names match case-insensitively, the
core User schema URN may prefix them, an unmapped attribute is an
`invalidFilter` error (never silently dropped), and compared values pass
through unchanged as bound parameters. Must not parse filters by hand.
"""

from __future__ import annotations

from typing import Any

from scim2_filter_parser.lexer import SCIMLexer
from scim2_filter_parser.parser import SCIMParser, SCIMParserError
from scim2_filter_parser.transpilers.sql import Transpiler

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CLOUDLINK_USER = "urn:mitel:params:scim:schemas:extension:cloudlink:2.0:User"


class InvalidFilter(ValueError):
    """The filter does not parse, or names an attribute this server cannot filter on."""


def _doc(path: str) -> str:
    return f"json_extract(data, '$.{path}')"


_EMAIL = f"{_doc('email')} COLLATE NOCASE"
# (schema URN or "", attribute, sub-attribute), all lower case -> SQL over one user document.
ATTRIBUTES: dict[tuple[str, str, str | None], str] = {
    ("", "id", None): _doc("userId"),
    ("", "username", None): f"COALESCE({_doc('loginId')}, {_doc('email')}) COLLATE NOCASE",
    ("", "externalid", None): _doc("_scim.externalId"),
    ("", "displayname", None): _doc("name"),
    ("", "name", "givenname"): _doc("firstName"),
    ("", "name", "familyname"): _doc("lastName"),
    ("", "emails", None): _EMAIL,
    ("", "emails", "value"): _EMAIL,
    ("", "emails", "type"): "'work'",
    ("", "active", None): f"CASE WHEN {_doc('active')} = 0 THEN 'false' ELSE 'true' END",
    (CLOUDLINK_USER.lower(), "extension", None): _doc("extension"),
}


class _UserTranspiler(Transpiler):
    def visit_AttrPath(self, node: Any) -> str:
        uri = (node.uri or "").rstrip(":").lower()
        uri = "" if uri == CORE_USER.lower() else uri
        sub = node.sub_attr.value if hasattr(node.sub_attr, "value") else node.sub_attr
        key = (uri, str(node.attr_name).lower(), sub.lower() if sub else None)
        if key not in ATTRIBUTES:
            name = ".".join(p for p in (node.attr_name, sub) if p)
            raise InvalidFilter(f"cannot filter on {name!r}; filterable: userName, externalId, id, displayName, "
                                "name.givenName, name.familyName, emails.value, active, and "
                                f"{CLOUDLINK_USER}:extension")
        return ATTRIBUTES[key]

    def visit_CompValue(self, node: Any) -> str:
        return node.value  # as written: "true" stays "true" (the parent class upper-cases literals)


def to_sql(expression: str) -> tuple[str, dict[str, Any]]:
    """A SQL condition over `records.data` and its named parameters for one SCIM filter."""
    try:
        tree = SCIMParser().parse(SCIMLexer().tokenize(expression))
    except (SCIMParserError, ValueError, IndexError) as e:
        raise InvalidFilter(f"the filter does not parse: {e}") from None
    if tree is None:
        raise InvalidFilter("the filter is empty")
    where, params = _UserTranspiler(ATTRIBUTES).transpile(tree)
    if not where:
        raise InvalidFilter("the filter selects nothing this server understands")
    where = where.format(**{k: f":{k}" for k in params})
    return where, {k: v for k, v in params.items() if v is not None}
