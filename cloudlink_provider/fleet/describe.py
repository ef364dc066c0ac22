"""What a planned or found change means, in a reviewer's words (issue 15, point 8).

Owns the human-readable text of one resource's change, for the terminal, the
JSON (`description`) and the Markdown alike: a roles change names the
extensions added, changed and removed; a users change names whom it onboards
and how many welcome emails may go out; users drift names the users; an SSO
step that rotates the SCIM token says that Azure AD provisioning stops until it
gets the new one. Internal field names (`onboard`, `summary`, `users`,
`scimTokenCurrent`) never reach the reader, and no value is cut where the
change is. Reads only the (already masked) values it is handed; decides nothing.
"""

from __future__ import annotations

import json
from typing import Any

ROLES, USERS, SSO = "cloudlink:RoleAssignment", "cloudlink:UserOnboarding", "cloudlink:SsoScimIntegration"
LONG = 60  # longer values are shown around their first difference
ROTATES = ("rotates the Azure AD Sync SCIM token: Azure AD provisioning stops until it is given the new one "
           "(`pulumi stack output --show-secrets scimToken`)")
INTERNAL_USER_FIELDS = ("onboard", "summary", "users")


def value(v: Any) -> str:
    return v if isinstance(v, str) and v.startswith("(known after") else json.dumps(v, default=str,
                                                                                     ensure_ascii=False)


def _ext_order(e: str) -> tuple[int, str]:
    return len(e), e


def values(old: Any, new: Any) -> str:
    """`old -> new` in full when short; long texts around their first difference; lists by element."""
    if isinstance(old, list) and isinstance(new, list):
        gone = [x for x in old if x not in new]
        added = [x for x in new if x not in old]
        parts = ([f"+ {value(x)}" for x in added] + [f"- {value(x)}" for x in gone])
        return "; ".join(parts) if parts else f"{value(old)} -> {value(new)}"
    a, b = value(old), value(new)
    if len(a) <= LONG and len(b) <= LONG:
        return f"{a} -> {b}"
    at = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    start = max(0, at - 20)

    def around(text: str) -> str:
        return ("…" if start else "") + text[start:start + LONG] + ("…" if start + LONG < len(text) else "")
    return f"{around(a)} -> {around(b)}"


def roles_change(old: Any, new: Any) -> str:
    """`roles: 2003 CTI added; 2001 CTI -> USER; 2002 (CTI) removed`."""
    def holders(v: Any) -> dict[str, str]:
        return {str(r.get("extension")): str(r.get("role")) for r in (v or []) if isinstance(r, dict)}
    before, after = holders(old), holders(new)
    parts = []
    for ext in sorted(after.keys() - before.keys(), key=_ext_order):
        parts.append(f"{ext} {after[ext]} added")
    for ext in sorted(after.keys() & before.keys(), key=_ext_order):
        if after[ext] != before[ext]:
            parts.append(f"{ext} {before[ext]} -> {after[ext]}")
    for ext in sorted(before.keys() - after.keys(), key=_ext_order):
        parts.append(f"{ext} ({before[ext]}) removed")
    return "roles: " + ("; ".join(parts) or "reordered")


def _names(keys: list[str]) -> str:
    return ", ".join(sorted(keys, key=_ext_order))


def users_plan(op: str, old: dict[str, Any], new: dict[str, Any]) -> str | None:
    """Whom a users step onboards, and the welcome emails it may send."""
    if new.get("source") == "azure-ad-sync":
        return "users: Azure AD Sync decides who is a user; the application is deployed to the synced users " \
               "(no welcome email)"
    emails = new.get("welcomeEmail") is not False
    fate = ("each one CloudLink already has is adopted (no email), the others are created"
            + (" and get the welcome email" if emails else " (no welcome email)"))
    wanted = new.get("onboard")
    if not isinstance(wanted, list):  # the selection is resolved from the live directory by the provider
        chosen = new.get("extensions")
        if op in ("create", "adopt"):
            who = (f"extensions {_names([str(e) for e in chosen])}" if isinstance(chosen, list)
                   else "every PBX directory user with an email")
            return f"users: onboards {who}: {fate}"
        return f"users: the PBX directory now selects users the state does not manage (or no longer): {fate}"
    had = set(old.get("onboard") or [])
    added = [k for k in wanted if k not in had]
    removed = [k for k in had if k not in wanted]
    parts = []
    if added:
        parts.append(f"onboards {_names(added)}: each one CloudLink already has is adopted (no email), the others "
                     "are created" + (f" and get the welcome email (at most {len(added)} email"
                                      f"{'s' if len(added) != 1 else ''})" if emails else " (no welcome email)"))
    if removed:
        parts.append(f"stops managing {_names(removed)} (their CloudLink users stay)")
    return "users: " + ("; ".join(parts) if parts else "no one added or removed")


def users_drift(old: Any, new: Any) -> str:
    """`user 2003 (ann@acme.example) deleted outside Pulumi; user 2002 activated`, from the `users` outputs."""
    def by_key(v: Any) -> dict[str, dict[str, Any]]:
        return {str(u.get("key") or u.get("extension") or u.get("userId")): u for u in (v or [])
                if isinstance(u, dict)}
    before, after = by_key(old), by_key(new)
    parts = []
    for key in sorted(before.keys() - after.keys(), key=_ext_order):
        email = before[key].get("email")
        parts.append(f"user {key}{f' ({email})' if email else ''} deleted outside Pulumi")
    for key in sorted(before.keys() & after.keys(), key=_ext_order):
        if not before[key].get("activated") and after[key].get("activated"):
            parts.append(f"user {key} activated")
        elif before[key].get("email") != after[key].get("email"):
            parts.append(f"user {key} email {value(before[key].get('email'))} -> {value(after[key].get('email'))}")
    for key in sorted(after.keys() - before.keys(), key=_ext_order):
        parts.append(f"user {key} now onboarded")
    return "; ".join(parts) or "the users changed outside Pulumi"


def field_texts(type_: str, op: str, fields: list[Any], new_inputs: dict[str, Any],
                old_inputs: dict[str, Any]) -> list[str]:
    """One text per changed field (or one per resource where a field-by-field list would mislead)."""
    if type_ == USERS:
        text = users_plan(op, old_inputs, new_inputs)
        rest = [f for f in fields if f.field not in INTERNAL_USER_FIELDS + ("onboard",)]
        selection = op != "update" or not rest or any(f.field == "onboard" for f in fields)
        return ([text] if text and selection else []) + \
            [f"{f.field} {values(f.old, f.new)}" for f in rest]
    texts = []
    for f in fields:
        if type_ == ROLES and f.field == "roles":
            texts.append(roles_change(f.old, f.new))
        elif type_ == SSO and f.field == "scimTokenCurrent":
            continue  # said by the rotation note
        else:
            texts.append(f"{f.field} {values(f.old, f.new)}")
    if type_ == ROLES and op in ("create", "adopt") and isinstance(new_inputs.get("roles"), list):
        held = sorted(((str(r.get("extension")), str(r.get("role"))) for r in new_inputs["roles"]
                       if isinstance(r, dict)), key=lambda h: _ext_order(h[0]))
        texts.append("roles: " + ", ".join(f"{ext} {role}" for ext, role in held))
    return texts


def notes(type_: str, op: str, fields: list[Any], new_inputs: dict[str, Any]) -> list[str]:
    """What the step does beyond its fields: an SSO step that rotates the SCIM token."""
    if type_ != SSO or not new_inputs.get("scim"):
        return []
    rotating = op == "adopt" or any(f.field == "scimTokenCurrent" for f in fields)
    return [ROTATES] if rotating else []


def outside_text(type_: str, outside: list[Any]) -> str:
    """What changed outside Pulumi, in the reader's words."""
    if type_ == USERS:
        users = next((f for f in outside if f.field == "users"), None)
        if users is not None:
            return users_drift(users.old, users.new)
        return "the users changed outside Pulumi"
    names = [f.field for f in outside]
    if type_ == SSO and "scimTokenCurrent" in names:
        names = [n for n in names if n != "scimTokenCurrent"] + ["the SCIM token was rotated"]
    return "changed outside Pulumi: " + ", ".join(names)
