"""The request journal (`/_emulator/requests`): what it records, and what counts as a write.

A write is every call but a GET, except the token grants, whichever service it goes to: the
"no writes" checks of the tests and the demo read this count, so an SSO write (which lives in
the authentication service, beside the token grants) must show.
"""

from __future__ import annotations

from tests.unit.identity_world import account, auth, emulator, fresh_world  # noqa: F401  (shared world)
from tests.unit.identity_world import AUTH, SCIM, partner_auth, saml


def journal(http) -> dict:
    r = http.get("/_emulator/requests")
    assert r.status_code == 200, r.text
    return r.json()


def test_an_sso_write_is_counted_and_token_grants_are_not(http, auth, account):
    http.delete("/_emulator/requests")
    partner_auth(http)  # POST /token: a grant, not a write
    assert http.post(f"{AUTH}/assume-role/token", json={"role": "ACCOUNT_ADMIN", "accountId": account},
                     headers=auth).status_code == 201  # a grant too
    assert http.get(f"{AUTH}/identityProviders", headers=auth).status_code == 200  # a read
    assert journal(http)["writes"] == 0

    r = http.post(f"{AUTH}/identityProviders", json={"accountId": account, "type": "AZURE", "saml": saml(account)},
                  headers=auth)
    assert r.status_code == 201, r.text
    assert http.put(f"{AUTH}/identityProviders/{account}", json={"active": False}, headers=auth).status_code == 200
    seen = journal(http)
    assert seen["writes"] == 2
    assert [(i["method"], i["path"]) for i in seen["items"] if i["write"]] == [
        ("POST", f"{AUTH}/identityProviders"), ("PUT", f"{AUTH}/identityProviders/{account}")]


def test_refused_writes_and_token_rotation_count_too(http, auth, account):
    """A write the API refuses is still a write the caller made; rotating the SCIM token is no token grant."""
    http.delete("/_emulator/requests")
    assert http.post(f"{AUTH}/identityProviders", json={"accountId": account}, headers=auth).status_code == 400
    assert http.post(f"{SCIM}/accounts/{account}/azure-sync", headers=auth).status_code == 201
    assert http.post(f"{SCIM}/accounts/{account}/azure-sync/token", headers=auth).status_code == 201
    assert journal(http)["writes"] == 3
