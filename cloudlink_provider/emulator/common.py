"""What every part of the emulated backend shares: the caller, audit stamps, ETags, lists.

`Caller` is the verified identity behind a request; `Context` bundles the
database and settings a domain module needs. Nothing here knows a route.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Iterable

from ..wire import ACCESS_TOKEN_TTL_S, API_VERSION, REFRESH_TOKEN_TTL_S, ROLES_BY_RANK
from .db import Database
from .errors import ConditionalFailed, InsufficientPermissions, ValidationFailed


@dataclass(frozen=True)
class Caller:
    principal_id: str
    account_id: str
    role: str
    exp: int = 0
    partner_id: str | None = None  # the partner of the caller's account, if any

    def at_least(self, role: str) -> bool:
        return ROLES_BY_RANK.index(self.role) >= ROLES_BY_RANK.index(role)

    def require(self, role: str) -> None:
        if not self.at_least(role):
            raise InsufficientPermissions(f"this action needs role {role} or higher; the caller has {self.role}")


@dataclass
class Settings:
    access_ttl_s: int = ACCESS_TOKEN_TTL_S
    refresh_ttl_s: int = REFRESH_TOKEN_TTL_S
    rate_limit_per_s: float = 200.0  # per partner; generous by default
    rate_burst: int = 400
    base_url: str = ""  # absolute URL the server is reached at, for SCIM and links
    pbx_connect_s: float = 0.2  # a new or changed PBX link stays CONNECTING this long


@dataclass
class Context:
    db: Database
    settings: Settings = field(default_factory=Settings)


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_id() -> str:
    return str(uuid.uuid4())


def href(service: str, path: str) -> str:
    return f"/{service}/{API_VERSION}{path}"


def stamp_new(doc: dict[str, Any], caller: Caller, self_href: str) -> dict[str, Any]:
    ts = now_iso()
    doc.update(createdOn=ts, createdBy=caller.principal_id, modifiedOn=ts, modifiedBy=caller.principal_id)
    doc["_links"] = {"self": {"href": self_href}}
    doc["_version"] = 1
    return doc


def stamp_modified(doc: dict[str, Any], caller: Caller) -> dict[str, Any]:
    doc.update(modifiedOn=now_iso(), modifiedBy=caller.principal_id)
    doc["_version"] = doc.get("_version", 0) + 1
    return doc


def etag(doc: dict[str, Any]) -> str:
    return f'"{doc.get("_version", 0)}"'


def check_if_match(doc: dict[str, Any], if_match: str | None) -> None:
    """A stale If-Match gets CloudLink's conditional-write error."""
    if if_match and if_match.strip() not in ("*", etag(doc)):
        raise ConditionalFailed("the resource was modified since it was read (If-Match does not match its ETag)")


def public(doc: dict[str, Any]) -> dict[str, Any]:
    """The document as the API shows it: no internal or write-only fields."""
    return {k: v for k, v in doc.items() if not k.startswith("_") or k == "_links"}


_FILTER_TERM = re.compile(r"^\s*(\w+)\s+eq\s+(?:'((?:[^']|'')*)'|(true|false|\d+))\s*$", re.IGNORECASE)


def parse_filter(expr: str | None) -> Callable[[dict[str, Any]], bool]:
    """OData-style `$filter`, the subset CloudLink clients use: `a eq 'x' and b eq true`."""
    if not expr:
        return lambda _doc: True
    terms = []
    for part in re.split(r"\s+and\s+", expr, flags=re.IGNORECASE):
        m = _FILTER_TERM.match(part)
        if not m:
            raise ValidationFailed(f"unsupported $filter term: {part!r} (supported: field eq 'value', joined by and)")
        name, text, literal = m.group(1), m.group(2), m.group(3)
        if name.startswith("_"):  # internal fields (hashes, versions) are not part of the API
            raise ValidationFailed(f"unknown $filter field {name!r}")
        if text is not None:
            value: Any = text.replace("''", "'")
        elif literal.lower() in ("true", "false"):
            value = literal.lower() == "true"
        else:
            value = int(literal)
        terms.append((name, value))
    return lambda doc: all(doc.get(n) == v for n, v in terms)


def page(items: Iterable[dict[str, Any]], self_href: str, top: int | None, skip: int | None,
         filter_expr: str | None = None) -> dict[str, Any]:
    """A HAL list: `{count, _links: {self, next?}, _embedded: {items}}` with `$top`/`$skip` paging."""
    keep = parse_filter(filter_expr)
    matching = [d for d in items if keep(d)]
    skip = max(skip or 0, 0)
    top = min(max(top or 100, 1), 1000)
    chunk = [public(d) for d in matching[skip: skip + top]]
    links: dict[str, Any] = {"self": {"href": self_href}}
    if skip + top < len(matching):
        base = re.sub(r"[?&]\$(top|skip)=[^&]*", "", self_href)
        sep = "&" if "?" in base else "?"
        links["next"] = {"href": f"{base}{sep}$top={top}&$skip={skip + top}"}
    return {"count": len(chunk), "_links": links, "_embedded": {"items": chunk}}
