"""The built-in standards: Mitel's recommendations and the operational risks, each with its source.

Every built-in is off until the partner turns it on in the standards file, with a mode
(report, alert, enforce), an optional selector and its own thresholds. Texts are short
and in the partner's language; `source` says where the fact comes from
(docs/standards-sources.md has the facts copied with their provenance).

A check returns the violations in words (empty: the customer follows it), or `None`
when it cannot judge without a live fact it was not given (the engine path has no live
reads; `cloudlink fleet standards` has them). `applies` narrows a standard to the
customers it is about (MiCollab 9.7 only matters with MiVoice Business), so "N of M"
counts only those.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from ..customer.rules import MICOLLAB_CALL_HISTORY_MIVB, PBX_MODELS
from ..wire import MAX_ROLE_HOLDERS
from .facts import Customer, certificate_expiry

GUIDE = "Mitel CloudLink deployment guide (docs/standards-sources.md)"


@dataclass(frozen=True)
class Param:
    default: Any
    kind: type  # int, str or list
    words: str


@dataclass(frozen=True)
class Builtin:
    id: str
    title: str
    source: str
    check: Callable[[Customer, dict[str, Any], date], list[str] | None]
    applies: Callable[[Customer, dict[str, Any]], bool] = lambda c, p: True
    params: dict[str, Param] = field(default_factory=dict)
    live: bool = False  # reads live facts (a watch); the engine path judges it from the spec where it can


def _spec(c: Customer, block: str) -> dict[str, Any]:
    value = c.spec.get(block)
    return value if isinstance(value, dict) else {}


# --- Mitel's recommendations --------------------------------------------------------------------------
def _sso_and_sync(c: Customer, p: dict[str, Any], today: date) -> list[str]:
    sso = _spec(c, "sso")
    if not sso:
        return ["no Azure AD single sign-on (add an sso block with scim: true)"]
    if not sso.get("scim"):
        return ["Azure AD SSO without Azure AD Sync (set sso.scim: true)"]
    return []


def _teams_applies(c: Customer, p: dict[str, Any]) -> bool:
    return bool(_spec(c, "teams"))


def _teams_presence(c: Customer, p: dict[str, Any], today: date) -> list[str]:
    have = c.labels.get(p["label"])
    if have in p["values"]:
        return []
    said = f"{p['label']}={have}" if have is not None else f"no {p['label']} label"
    wanted = (f"{p['label']}={p['values'][0]}" if len(p["values"]) == 1
              else f"{p['label']} one of {', '.join(p['values'])}")
    return [f"Teams presence integration configured, but the customer does not need presence ({said}; "
            f"expected {wanted})"]


def _mivb(c: Customer, p: dict[str, Any]) -> bool:
    return _spec(c, "pbx").get("type") == "mivoice-business"


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split("."))


def _micollab(c: Customer, p: dict[str, Any], today: date) -> list[str]:
    need, _why = MICOLLAB_CALL_HISTORY_MIVB
    have = _spec(c, "pbx").get("micollabVersion")
    wanted = ".".join(map(str, need))
    if not have:
        return [f"MiCollab version not stated (pbx.micollabVersion); calls from Call History need {wanted}+"]
    if _version(str(have)) < need:
        return [f"MiCollab {have}: calls from Mitel Assistant's Call History need MiCollab {wanted}+"]
    return []


# --- watches with thresholds ------------------------------------------------------------------------
def _has_pbx(c: Customer, p: dict[str, Any]) -> bool:
    return _spec(c, "pbx").get("type") in PBX_MODELS


def _pbx_capacity(c: Customer, p: dict[str, Any], today: date) -> list[str]:
    pbx = _spec(c, "pbx")
    model = PBX_MODELS[pbx["type"]]
    planned = int(pbx.get("users") or 0)
    live = c.live.onboarded_users if c.live and c.live.onboarded_users is not None else 0
    users, what = (live, "onboarded") if live > planned else (planned, "planned")
    limit = model.max_users * p["percent"] / 100
    if users >= limit:
        return [f"{users} {what} users are {users * 100 // model.max_users}% of the {model.title} capacity of "
                f"{model.max_users} (warn at {p['percent']}%)"]
    return []


def _takes_roles(c: Customer, p: dict[str, Any]) -> bool:
    return _has_pbx(c, p) and PBX_MODELS[_spec(c, "pbx")["type"]].role is not None


def _role_holders(c: Customer, p: dict[str, Any], today: date) -> list[str]:
    spec_count = len(c.spec.get("roles") or [])
    live = c.live.role_holders if c.live and c.live.role_holders is not None else 0
    holders = max(spec_count, live)
    if holders >= p["warnAt"]:
        return [f"{holders} role holders: CloudLink allows at most {MAX_ROLE_HOLDERS} per account "
                f"(warn at {p['warnAt']})"]
    return []


def _has_sso(c: Customer, p: dict[str, Any]) -> bool:
    return bool(_spec(c, "sso"))


def _certificate(c: Customer, p: dict[str, Any], today: date) -> list[str]:
    live = c.live.sso_certificate if c.live else None
    pem, where = (live, "live") if live else (_spec(c, "sso").get("certificate"), "spec's")
    expiry = certificate_expiry(pem) if pem else None
    if expiry is None:
        return [f"the {where} SSO signing certificate cannot be read"]
    days = (expiry - today).days
    if days < 0:
        return [f"the {where} SSO signing certificate expired on {expiry} ({-days} days ago): SSO sign-in is "
                "broken for the whole account; upload the new certificate from Azure AD into the spec"]
    if days <= p["warnDays"]:
        return [f"the {where} SSO signing certificate expires on {expiry} (in {days} days): SSO sign-in stops "
                f"for the whole account that day; renew it in Azure AD and update sso.certificate"]
    return []


def _sends_welcome(c: Customer, p: dict[str, Any]) -> bool:
    users = _spec(c, "users")
    return bool(users) and users.get("source", "pbx-directory") == "pbx-directory" \
        and users.get("welcomeEmail", True) is not False


def _pending(c: Customer, p: dict[str, Any], today: date) -> list[str] | None:
    if c.live is None or c.live.pending_users is None:
        return None  # only CloudLink knows who is pending
    stale = [u for u in c.live.pending_users if u.since is None or (today - u.since).days > p["linkValidityDays"]]
    if not stale:
        return []
    shown = ", ".join(u.email for u in stale[:3]) + (f" and {len(stale) - 3} more" if len(stale) > 3 else "")
    return [f"{len(stale)} user{'s' if len(stale) != 1 else ''} still pending activation after the welcome "
            f"email's link expired ({p['linkValidityDays']} days): {shown}; re-send it with "
            f"`cloudlink fleet welcome-email --stacks {c.name}`"]


BUILTINS: dict[str, Builtin] = {b.id: b for b in (
    Builtin("sso-and-sync", "Azure AD SSO and Azure AD Sync for every customer account",
            f"Mitel recommends Azure AD single sign-on and Azure AD Sync (SCIM), so users sign in to Mitel "
            f"Assistant with their Teams credentials and names stay aligned ({GUIDE})", _sso_and_sync),
    Builtin("teams-only-for-presence", "Teams presence integration only where presence is needed",
            f"Mitel: integrate Microsoft Teams only if CloudLink-to-Teams presence is required ({GUIDE})",
            _teams_presence, _teams_applies,
            {"label": Param("presence", str, "the label that says the customer needs presence"),
             "values": Param(["needed"], list, "label values that mean it does")}),
    Builtin("micollab-call-history", "MiCollab 9.7+ with MiVoice Business (calls from Call History)",
            f"Mitel: with MiVoice Business, calling from Mitel Assistant's Call History needs MiCollab 9.7 ({GUIDE})",
            _micollab, _mivb),
    Builtin("pbx-user-capacity", "PBX users below the model's capacity",
            f"Mitel's capacity table: planned users per PBX model ({GUIDE})", _pbx_capacity, _has_pbx,
            {"percent": Param(80, int, "warn at this share of the capacity, in percent")}, live=True),
    Builtin("role-holders", "Role holders well below CloudLink's 1,000",
            f"Mitel: at most {MAX_ROLE_HOLDERS:,} users per account can hold a CloudLink role ({GUIDE})",
            _role_holders, _takes_roles,
            {"warnAt": Param(900, int, "warn at this many role holders")}, live=True),
    Builtin("sso-certificate-expiry", "SSO signing certificate not about to expire",
            "An expired SAML signing certificate stops SSO sign-in for the whole account on that day "
            "(SAML 2.0; Azure AD signing certificates have an end date)", _certificate, _has_sso,
            {"warnDays": Param(30, int, "warn this many days before the certificate expires")}, live=True),
    Builtin("pending-activation", "No user pending activation after the welcome email's link expired",
            "Mitel One admin documentation: the welcome email's link works once and expires after 4 days; "
            "pending users need a new email", _pending, _sends_welcome,
            {"linkValidityDays": Param(4, int, "days the welcome email's link works")}, live=True),
)}
