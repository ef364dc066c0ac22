"""The drift yardstick, as data: seeded, deterministic corpora of out-of-band changes and spec edits.

Each `Case` is one customer stack: a base customer (`BASES`, every resource kind
between them), then either console changes (`calls`: raw HTTP as a colleague
clicking in the console would make them) or spec edits (`edits`), and what the
engine must then plan and do per resource (`expect`: resource name -> (op, the
fields that differ); a resource not listed stays `same`). Every managed field of
every resource is changed by some case. The e2e test `test_corpus.py` proves
preview plans exactly this and `up` does exactly that; the fleet scan must
reproduce exactly these findings, so this module imports no test machinery and
runs nothing: call `cases()` (or read `OUT_OF_BAND` / `SPEC_EDITS`).

Values come from a `random.Random(seed)`: the same seed gives the same corpus.
Paths in `calls` hold `{account}`, `{gateway}`, `{integration}` and `{user}` (the
account's first onboarded user), filled from what is deployed (`Call.resolve`).
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Any

from testkit.certificates import CERT_PEM  # a real self-signed certificate, as PEM

SEED = 20261201
ADMIN = "/admin/2017-09-01/accounts"
GW = "/gateway/2017-09-01/accounts"
INTEGRATIONS = "/integrations/2017-09-01/accounts"
IDP = "/authentication/2017-09-01/identityProviders"
SCIM = "/scim/2017-09-01/accounts"
TENANT = "5b1f6c7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"
TEAMS_TENANT, TEAMS_APP = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "3f2e1d0c-9b8a-4765-8432-10fedcba9876"
REMOVE = object()  # an edit that deletes the key (a whole block)



@dataclass(frozen=True)
class Call:
    """One out-of-band request, as the console makes it."""
    method: str
    path: str
    body: dict[str, Any] | None = None

    def resolve(self, ids: dict[str, str]) -> "Call":
        return Call(self.method, self.path.format(**ids), self.body)


@dataclass(frozen=True)
class Case:
    name: str  # also the stack name
    base: str  # a key of BASES
    spec: dict[str, Any]  # the customer spec deployed first
    expect: dict[str, tuple[str, tuple[str, ...]]]  # resource -> (op, sorted fields that differ)
    calls: tuple[Call, ...] = ()  # out-of-band changes
    edits: tuple[tuple[str, Any], ...] = ()  # (dotted spec path, new value or REMOVE)
    notes: str = ""

    def edited_spec(self) -> dict[str, Any]:
        spec = copy.deepcopy(self.spec)
        for path, value in self.edits:
            *parents, leaf = path.split(".")
            node = spec
            for p in parents:
                node = node[p]
            if value is REMOVE:
                del node[leaf]
            else:
                node[leaf] = value
        return spec


@dataclass
class _Seeded:
    rng: random.Random = field(default_factory=lambda: random.Random(SEED))

    def word(self) -> str:
        return "".join(self.rng.choice("bcdfghklmnprstvz") + self.rng.choice("aeiou") for _ in range(3))

    def guid(self) -> str:
        h = "".join(self.rng.choice("0123456789abcdef") for _ in range(32))
        return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:]}"

    def port(self) -> int:
        return self.rng.randrange(5000, 9000)


def _sso(word: str) -> dict[str, Any]:
    return {"issuerId": f"https://sts.windows.net/{TENANT}/", "loginUrl": f"https://login.{word}.example/saml2",
            "logoutUrl": f"https://login.{word}.example/saml2/logout", "certificate": CERT_PEM, "scim": True}


def base(kind: str, i: int, seeded: _Seeded) -> dict[str, Any]:
    """Base customer `kind` number `i`: `mivb` (account, gateway, MiVoice Business, Teams, SSO+SCIM) or
    `cti` (account, gateway, MiVoice 5000, CTI roles). Between them: every resource kind."""
    word = seeded.word()
    spec: dict[str, Any] = {"account": {"name": f"Corpus {i:02d} {word.title()}", "domain": f"{word}.example",
                                        "languageCode": "en-GB"},
                            "gateway": {"serialNumber": f"CLGW-C{i:02d}-{seeded.rng.randrange(1000, 9999)}",
                                        "type": "appliance" if kind == "mivb" else "virtual", "name": "HQ"}}
    if kind == "mivb":
        spec["pbx"] = {"type": "mivoice-business", "host": f"mivb.{word}.example", "port": 443,
                       "username": "cloudlink"}
        spec["teams"] = {"tenantId": TEAMS_TENANT, "clientId": TEAMS_APP, "mode": "unidirectional"}
        spec["sso"] = _sso(word)
    else:
        spec["pbx"] = {"type": "mivoice-5000", "host": f"m5k.{word}.example", "port": 443, "username": "cloudlink"}
        spec["roles"] = [{"extension": "2001", "role": "CTI"}, {"extension": "2002", "role": "CTI"}]
    return spec


BASES = ("mivb", "cti")
ACCT, GWY, LINK = f"{ADMIN}/{{account}}", f"{GW}/{{account}}/gateways/{{gateway}}", \
    f"{GW}/{{account}}/gateways/{{gateway}}/pbx-link"
TEAMS_PATH, IDP_PATH = f"{INTEGRATIONS}/{{account}}/integrations/{{integration}}", f"{IDP}/{{account}}"


def cases(seed: int = SEED) -> list[Case]:
    """Both corpora, out-of-band first; deterministic for a seed."""
    seeded = _Seeded(random.Random(seed))
    out: list[Case] = []

    def case(name: str, kind: str, expect: dict[str, tuple[str, tuple[str, ...]]],
             users: dict[str, Any] | None = None, **kw: Any) -> None:
        spec = base(kind, len(out) + 1, seeded)
        if users is not None:  # the one users block of the corpus: the bases onboard nobody
            spec["users"] = users
        out.append(Case(name, kind, spec, expect, **kw))

    w = seeded.word()
    # --- out of band: what a colleague changes in the console ---------------------------------------------
    case("oob-account-name", "mivb", {"account": ("update", ("name",))},
         calls=(Call("PUT", ACCT, {"name": f"Renamed {w.title()}"}),),
         notes="the phantom-replacement canary: nothing below the account may move")
    case("oob-every-field", "mivb", {
        "account": ("update", ("active", "domain", "languageCode")),
        "gateway": ("update", ("name",)),
        "pbx": ("update", ("host", "port", "username")),
        "teams": ("update", ("clientId", "mode")),
        "sso": ("update", ("certificate", "issuerId", "loginUrl", "logoutUrl"))},
        calls=(Call("PUT", ACCT, {"domain": f"{w}-oob.example", "languageCode": "fr-FR", "active": False}),
               Call("PUT", GWY, {"name": f"Console {w}"}),
               Call("PUT", LINK, {"host": f"pbx.{w}-oob.example", "port": seeded.port(), "username": w}),
               Call("PUT", TEAMS_PATH, {"clientId": seeded.guid(), "mode": "BIDIRECTIONAL"}),
               Call("PUT", IDP_PATH, {"saml": {"issuerId": f"https://sts.windows.net/{seeded.guid()}/",
                                               "loginUrl": f"https://login.{w}-oob.example/saml2",
                                               "logoutUrl": f"https://login.{w}-oob.example/out",
                                               "certificates": CERT_PEM + CERT_PEM}})))
    case("oob-sso-provider", "mivb", {"sso": ("update", ("active", "cloudLinkServiceProvider", "provider"))},
         calls=(Call("PUT", IDP_PATH, {"type": "OKTA", "active": False,
                                       "saml": {"serviceProviderReplyUrl": f"https://{w}.example/cs"}}),))
    case("oob-scim-token-rotated", "mivb", {"sso": ("update", ("scimTokenCurrent",))},
         calls=(Call("POST", f"{SCIM}/{{account}}/azure-sync/token"),),
         notes="Azure AD's token stops working; up rotates again and the stack's scimToken output works")
    case("oob-teams-and-sync-deleted", "mivb", {"teams": ("create", ()), "sso": ("update", ("scim",))},
         calls=(Call("DELETE", TEAMS_PATH), Call("DELETE", f"{SCIM}/{{account}}/azure-sync")))
    case("oob-gateway-name", "cti", {"gateway": ("update", ("name",))},
         calls=(Call("PUT", GWY, {"name": f"Console {seeded.word()}"}),))
    case("oob-role-removed", "cti", {"roles": ("update", ("roles",))},
         calls=(Call("DELETE", f"{GW}/{{account}}/pbx/roles/2001"),))
    case("oob-application-taken-away", "cti", {"users": ("update", ())},
         users={"extensions": ["2001"], "welcomeEmail": False},
         calls=(Call("PUT", f"{ADMIN}/{{account}}/users/{{user}}", {"applications": []}),),
         notes="the console takes the deployed CloudLink application away from an onboarded user (issue 19)")
    case("oob-pbx-link-deleted", "cti", {"pbx": ("create", ()), "roles": ("update", ("roles",))},
         calls=(Call("DELETE", LINK),), notes="deleting a link drops the roles held through it")
    # --- spec edits: what a pull request changes ------------------------------------------------------------
    w = seeded.word()
    case("edit-account-name", "mivb", {"account": ("update", ("name",))},
         edits=(("account.name", f"Edited {w.title()}"),))
    case("edit-every-in-place-field", "mivb", {
        "account": ("update", ("active", "domain", "languageCode")),
        "gateway": ("update", ("name",)),
        "pbx": ("update", ("bhcc", "host", "micollabVersion", "port", "username", "users")),
        "teams": ("update", ("clientId", "mode")),
        "sso": ("update", ("certificate", "issuerId", "loginUrl", "logoutUrl"))},
        edits=(("account.domain", f"{w}-pr.example"), ("account.languageCode", "de-DE"), ("account.active", False),
               ("gateway.name", f"PR {w}"),
               ("pbx.host", f"pbx.{w}-pr.example"), ("pbx.port", seeded.port()), ("pbx.username", w),
               ("pbx.users", 100), ("pbx.bhcc", 500), ("pbx.micollabVersion", "9.8"),
               ("teams.clientId", seeded.guid()), ("teams.mode", "bidirectional"),
               ("sso.issuerId", f"https://sts.windows.net/{seeded.guid()}/"),
               ("sso.loginUrl", f"https://login.{w}-pr.example/saml2"),
               ("sso.logoutUrl", f"https://login.{w}-pr.example/out"), ("sso.certificate", CERT_PEM + CERT_PEM)))
    case("edit-gateway-serial-and-type", "mivb", {
        "gateway": ("replace", ("serialNumber", "type")),
        "pbx": ("replace", ("gatewayId",)),
        "teams": ("update", ("pbxConnectionId",))},
        edits=(("gateway.serialNumber", f"CLGW-NEW-{seeded.rng.randrange(1000, 9999)}"), ("gateway.type", "virtual")),
        notes="a new gateway and so a new link; Teams belongs to the account: it only takes the new link id "
              "(no API write); the account and SSO stay")
    case("edit-pbx-type", "mivb", {"pbx": ("replace", ("type",))},
         edits=(("pbx.type", "mivoice-office-400"),), notes="the link id stays: Teams stays")
    case("edit-teams-tenant-and-scim-off", "mivb", {"teams": ("replace", ("tenantId",)), "sso": ("update", ("scim",))},
         edits=(("teams.tenantId", seeded.guid()), ("sso.scim", False)))
    case("edit-remove-teams-and-sso", "mivb", {"teams": ("delete", ()), "sso": ("delete", ())},
         edits=(("teams", REMOVE), ("sso", REMOVE)))
    case("edit-gateway-name", "cti", {"gateway": ("update", ("name",))}, edits=(("gateway.name", f"PR {w}"),))
    case("edit-roles-and-add-teams", "cti", {"roles": ("update", ("roles",)), "teams": ("create", ())},
         edits=(("roles", [{"extension": "2002", "role": "CTI"}, {"extension": "2003", "role": "CTI"}]),
                ("teams", {"tenantId": TEAMS_TENANT, "clientId": TEAMS_APP, "mode": "unidirectional"})))
    return out


CASES = cases()
OUT_OF_BAND = [c for c in CASES if c.calls]
SPEC_EDITS = [c for c in CASES if c.edits]


# --- customers the scan preview must judge like the engine beyond spec edits (tests/e2e/test_fleet_preview.py)
NEW_ALL = ("account", "gateway", "pbx", "teams", "sso")


def new_customers(seed: int = SEED) -> list[Case]:
    """Customers written but never deployed: no state yet. Every resource is a create; `new-adopt` names a
    live account by `adoptAccountId` (the test creates it first), so every create reads `adopt`."""
    seeded = _Seeded(random.Random(seed + 1))
    fresh = base("mivb", 81, seeded)
    adopt = base("cti", 82, seeded)
    return [Case("new-mivb", "mivb", fresh, {name: ("create", ()) for name in NEW_ALL}),
            Case("new-adopt", "cti", adopt, {name: ("adopt", ()) for name in ("account", "gateway", "pbx", "roles")},
                 notes="the account exists in CloudLink, unmanaged; adoptAccountId is filled in by the test")]


def invalid_edits(seed: int = SEED) -> list[Case]:
    """Deployed customers whose edit makes the spec invalid: the preview fails (exit 1), nothing planned."""
    seeded = _Seeded(random.Random(seed + 2))
    return [Case("invalid-language", "cti", base("cti", 91, seeded), {},
                 edits=(("account.languageCode", "english"),)),
            Case("invalid-unknown-field", "mivb", base("mivb", 92, seeded), {},
                 edits=(("gateway.colour", "blue"),))]
