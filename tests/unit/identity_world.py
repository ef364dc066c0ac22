"""Builders for the authentication, users, SSO and SCIM tests: seeded credentials and SAML settings.

The shared world (one emulator per module, reset before each test) comes from tests.unit.world
and is re-exported: `from tests.unit.identity_world import emulator, fresh_world`.
"""

from __future__ import annotations

import httpx

from cloudlink_provider.emulator.store import DEMO_PARTNER
from testkit.certificates import CERT_B64, CERT_PEM  # noqa: F401 (re-exported for the unit tests)
from tests.unit.world import ADMIN, account, auth, emulator, error, fresh_world, http, new_account  # noqa: F401,E501

AUTH = "/authentication/2017-09-01"
SCIM = "/scim/2017-09-01"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"

TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47"


def scim_error(r: httpx.Response, status: int, scim_type: str | None = None) -> dict:
    """Assert a SCIM error (RFC 7644 §3.12): status, schema, and scimType."""
    body = r.json()
    assert r.status_code == status and body["schemas"] == [SCIM_ERROR] and body["status"] == str(status), r.text
    assert body.get("scimType") == scim_type, r.text
    assert r.headers["content-type"].startswith("application/scim+json")
    return body


def token(http: httpx.Client, **form: str) -> dict:
    r = http.post(f"{AUTH}/token", data=form)
    assert r.status_code == 201, r.text
    return r.json()


def bearer_of(access_token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {access_token}"}


def partner_auth(http: httpx.Client, client_id: str = DEMO_PARTNER["client_id"],
                 client_secret: str = DEMO_PARTNER["client_secret"]) -> dict[str, str]:
    t = token(http, grant_type="client_credentials", client_id=client_id, client_secret=client_secret)
    return bearer_of(t["access_token"])


def whoami(http: httpx.Client, auth: dict[str, str]) -> dict:
    r = http.get(f"{AUTH}/token", headers=auth)
    assert r.status_code == 200, r.text
    return r.json()


def seed_client(http: httpx.Client, account_id: str, role: str) -> dict[str, str]:
    """API credentials with `role` in the account; returns a ready Authorization header."""
    r = http.post("/_emulator/seed/client", json={"accountId": account_id, "role": role})
    assert r.status_code == 201, r.text
    return partner_auth(http, r.json()["clientId"], r.json()["clientSecret"])


def seed_user(http: httpx.Client, account_id: str, email: str, password: str = "pw-1", role: str = "USER",
              **fields) -> dict:
    r = http.post("/_emulator/seed/user", json={"accountId": account_id, "email": email, "password": password,
                                                "role": role, **fields})
    assert r.status_code == 201, r.text
    return r.json()


def new_partner(http: httpx.Client, name: str = "Other Partner") -> dict[str, str]:
    client_id = name.lower().replace(" ", "-")
    r = http.post("/_emulator/seed/partner", json={"name": name, "clientId": client_id, "clientSecret": "s3cret"})
    assert r.status_code == 201, r.text
    return partner_auth(http, client_id, "s3cret")


def saml(account_id: str, **overrides) -> dict:
    """Azure AD SAML settings for an account, as Mitel's identityProviderPostRequest carries them."""
    return {"issuerId": f"https://sts.windows.net/{TENANT}/",
            "serviceProviderIssuerId": f"https://authentication.api.mitel.io/2017-09-01/saml2/{account_id}",
            "serviceProviderReplyUrl": f"https://authentication.api.mitel.io/2017-09-01/saml2/{account_id}/cs",
            "loginUrl": f"https://login.microsoftonline.com/{TENANT}/saml2",
            "logoutUrl": f"https://login.microsoftonline.com/{TENANT}/saml2",
            "certificates": CERT_PEM, **overrides}
