"""Tenancy and roles across services: a partner sees only its own customers, and
GLOBAL_ADMIN > PARTNER_ADMIN > ACCOUNT_ADMIN > USER gates every route."""

from __future__ import annotations

import pytest

from tests.unit.identity_world import emulator, fresh_world  # noqa: F401  (module-scoped server)
from tests.unit.identity_world import (ADMIN, AUTH, SCIM, error, new_account, new_partner, partner_auth, saml,
                                       seed_client, whoami)

RANK = ("USER", "ACCOUNT_ADMIN", "PARTNER_ADMIN", "GLOBAL_ADMIN")

# (method, path template, body, the lowest role allowed)
ROUTES = [
    ("POST", f"{ADMIN}/accounts", {"name": "New"}, "PARTNER_ADMIN"),
    ("PUT", f"{ADMIN}/accounts/{{a}}", {"name": "Renamed"}, "ACCOUNT_ADMIN"),
    ("DELETE", f"{ADMIN}/accounts/{{a}}", None, "PARTNER_ADMIN"),
    ("GET", f"{ADMIN}/accounts/{{a}}/users", None, "ACCOUNT_ADMIN"),
    ("POST", f"{ADMIN}/accounts/{{a}}/users", {"email": "n@acme.test"}, "ACCOUNT_ADMIN"),
    ("GET", f"{AUTH}/identityProviders", None, "ACCOUNT_ADMIN"),
    ("POST", f"{AUTH}/identityProviders", "saml", "ACCOUNT_ADMIN"),
    ("POST", f"{SCIM}/accounts/{{a}}/azure-sync", None, "ACCOUNT_ADMIN"),
    ("GET", f"{SCIM}/accounts/{{a}}/azure-sync", None, "ACCOUNT_ADMIN"),
]


@pytest.fixture
def world(http):
    partner = partner_auth(http)
    account = new_account(http, partner)
    tokens = {"USER": seed_client(http, account, "USER"), "ACCOUNT_ADMIN": seed_client(http, account, "ACCOUNT_ADMIN")}
    return partner, account, tokens


BELOW = [(role, *route) for route in ROUTES for role in ("USER", "ACCOUNT_ADMIN")
         if RANK.index(role) < RANK.index(route[3])]


@pytest.mark.parametrize("role, method, template, body, lowest", BELOW)
def test_roles_below_the_lowest_get_403(http, world, role, method, template, body, lowest):
    partner, account, tokens = world
    payload = {"accountId": account, "saml": saml(account)} if body == "saml" else body
    r = http.request(method, template.format(a=account), json=payload, headers=tokens[role])
    error(r, 403, "InsufficientPermissions")


@pytest.mark.parametrize("method, template, body, lowest", ROUTES)
def test_the_lowest_role_is_let_through(http, world, method, template, body, lowest):
    partner, account, tokens = world
    auth = tokens.get(lowest, partner)
    if template.endswith("azure-sync") and method == "GET":  # something to read
        assert http.post(template.format(a=account), headers=partner).status_code == 201
    payload = {"accountId": account, "saml": saml(account)} if body == "saml" else body
    r = http.request(method, template.format(a=account), json=payload, headers=auth)
    assert r.status_code < 400, r.text


def test_a_user_reads_its_own_account_only(http, world):
    partner, account, tokens = world
    assert http.get(f"{ADMIN}/accounts/{account}", headers=tokens["USER"]).status_code == 200
    listed = http.get(f"{ADMIN}/accounts", headers=tokens["USER"]).json()
    assert [a["accountId"] for a in listed["_embedded"]["items"]] == [account]
    sibling = new_account(http, partner, "Sibling")
    error(http.get(f"{ADMIN}/accounts/{sibling}", headers=tokens["ACCOUNT_ADMIN"]), 404, "NotFound")


def test_a_partner_sees_and_changes_only_its_own_customers(http, world):
    partner, mine, _ = world
    other = new_partner(http)
    theirs = new_account(http, other, "Theirs")
    listed = http.get(f"{ADMIN}/accounts", headers=partner).json()
    assert theirs not in [a["accountId"] for a in listed["_embedded"]["items"]]
    for method, path, body in [
        ("GET", f"{ADMIN}/accounts/{theirs}", None),
        ("PUT", f"{ADMIN}/accounts/{theirs}", {"name": "Mine now"}),
        ("DELETE", f"{ADMIN}/accounts/{theirs}", None),
        ("GET", f"{ADMIN}/accounts/{theirs}/users", None),
        ("POST", f"{ADMIN}/accounts/{theirs}/users", {"email": "x@y.test"}),
        ("POST", f"{SCIM}/accounts/{theirs}/azure-sync", None),
        ("GET", f"{SCIM}/accounts/{theirs}/azure-sync", None),
    ]:
        error(http.request(method, path, json=body, headers=partner), 404, "NotFound")
    assert http.get(f"{ADMIN}/accounts/{theirs}", headers=other).json()["name"] == "Theirs"  # untouched


def test_global_admin_sees_every_partners_customers(http, world):
    partner, mine, _ = world
    theirs = new_account(http, new_partner(http), "Theirs")
    root = seed_client(http, whoami(http, partner)["accountId"], "GLOBAL_ADMIN")
    listed = http.get(f"{ADMIN}/accounts", headers=root).json()
    assert {mine, theirs} <= {a["accountId"] for a in listed["_embedded"]["items"]}
    assert http.post(f"{ADMIN}/accounts/{theirs}/users", json={"email": "g@x.test"}, headers=root).status_code == 201


def test_an_assumed_account_admin_token_is_confined_to_that_account(http, world):
    partner, account, _ = world
    sibling = new_account(http, partner, "Sibling")
    r = http.post(f"{AUTH}/assume-role/token", json={"accountId": account, "role": "ACCOUNT_ADMIN"}, headers=partner)
    assumed = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = http.post(f"{ADMIN}/accounts/{account}/users", json={"email": "a@x.test"}, headers=assumed)
    assert r.status_code == 201
    error(http.get(f"{ADMIN}/accounts/{sibling}", headers=assumed), 404, "NotFound")
    error(http.post(f"{ADMIN}/accounts", json={"name": "Nope"}, headers=assumed), 403, "InsufficientPermissions")
