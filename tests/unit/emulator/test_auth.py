"""The emulated Authentication API: token grants, claims, expiry, assume-role, deactivation.

Error names are the ones Mitel's spec lists for each route.
"""

from __future__ import annotations

import base64

import pytest

from cloudlink_provider.emulator.store import DEMO_PARTNER
from tests.unit.identity_world import emulator, fresh_world  # noqa: F401  (module-scoped server)
from tests.unit.identity_world import (ADMIN, AUTH, bearer_of, error, new_account, new_partner, partner_auth,
                                       seed_client, seed_user, token, whoami)

CC = {"grant_type": "client_credentials", "client_id": DEMO_PARTNER["client_id"],
      "client_secret": DEMO_PARTNER["client_secret"]}


def test_client_credentials_in_fields_gives_201_with_the_spec_fields(http):
    r = http.post(f"{AUTH}/token", data=CC)
    assert r.status_code == 201
    body = r.json()
    assert set(body) == {"token_type", "expires_in", "access_token", "refresh_token", "scope"}
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600


def test_client_credentials_in_basic_auth_and_json_body(http):
    basic = base64.b64encode(f"{CC['client_id']}:{CC['client_secret']}".encode()).decode()
    r = http.post(f"{AUTH}/token", data={"grant_type": "client_credentials"},
                  headers={"Authorization": f"Basic {basic}"})
    assert r.status_code == 201
    assert http.post(f"{AUTH}/token", json=CC).status_code == 201


def test_get_token_returns_the_callers_claims(http):
    auth = partner_auth(http)
    claims = whoami(http, auth)
    assert claims["role"] == "PARTNER_ADMIN" and claims["principalId"] == f"client:{CC['client_id']}"
    assert isinstance(claims["exp"], str) and int(claims["exp"]) > 0  # Mitel's claims schema: exp is a string


@pytest.mark.parametrize("form, status, name", [
    ({}, 400, "MissingBodyInRequest"),
    ({"client_id": "x"}, 400, "MissingParameters"),
    ({"grant_type": "implicit"}, 400, "InvalidGrantType"),
    ({"grant_type": "client_credentials", "client_id": "demo-partner"}, 400, "MissingParameters"),
    ({**CC, "client_secret": "wrong"}, 401, "ClientSecretMismatch"),
    ({**CC, "client_id": "nobody"}, 401, "InvalidLoginCredentials"),
    ({"grant_type": "password", "username": "a@b.c"}, 400, "MissingParameters"),
    ({"grant_type": "password", "username": "a@b.c", "password": "x"}, 401, "InvalidLoginCredentials"),
    ({"grant_type": "refresh_token", "refresh_token": "nope"}, 401, "InvalidLoginCredentials"),
])
def test_bad_token_requests(http, form, status, name):
    error(http.post(f"{AUTH}/token", data=form), status, name)


def test_bad_basic_header_and_bad_json(http):
    error(http.post(f"{AUTH}/token", data={"grant_type": "client_credentials"},
                    headers={"Authorization": "Basic !!!"}), 400, "MissingParameters")
    error(http.post(f"{AUTH}/token", content=b"{", headers={"content-type": "application/json"}),
          400, "MissingParameters")


def test_password_grant_matches_email_login_id_or_mobile(http):
    auth = partner_auth(http)
    account = new_account(http, auth)
    user = seed_user(http, account, "jo@acme.test", "pw", loginId="jo", mobile="+15550100")
    for username in ("jo@acme.test", "JO@ACME.TEST", "jo", "+15550100", user["userId"]):
        t = token(http, grant_type="password", username=username, password="pw")
        assert whoami(http, bearer_of(t["access_token"]))["principalId"] == user["userId"]
    error(http.post(f"{AUTH}/token", data={"grant_type": "password", "username": "jo", "password": "bad"}),
          401, "InvalidLoginCredentials")


def test_password_grant_in_several_accounts_needs_account_id(http):
    auth = partner_auth(http)
    a, b = new_account(http, auth, "A"), new_account(http, auth, "B")
    seed_user(http, a, "sam@x.test", "pw")
    seed_user(http, b, "sam@x.test", "pw")
    body = error(http.post(f"{AUTH}/token", data={"grant_type": "password", "username": "sam@x.test",
                                                  "password": "pw"}), 409, "MultipleMatching")
    assert sorted(body["labels"]) == sorted([a, b])
    t = token(http, grant_type="password", username="sam@x.test", password="pw", account_id=b)
    assert whoami(http, bearer_of(t["access_token"]))["accountId"] == b
    number = http.get(f"{ADMIN}/accounts/{a}", headers=auth).json()["accountNumber"]
    t = token(http, grant_type="password", username="sam@x.test", password="pw", account_id=number)
    assert whoami(http, bearer_of(t["access_token"]))["accountId"] == a


def test_inactive_user_cannot_log_in(http):
    account = new_account(http, partner_auth(http))
    seed_user(http, account, "off@acme.test", "pw", active=False)
    error(http.post(f"{AUTH}/token", data={"grant_type": "password", "username": "off@acme.test",
                                           "password": "pw"}), 403, "UserNotActive")


def test_refresh_tokens_are_single_use_and_keep_the_claims(http):
    first = token(http, **CC)
    second = token(http, grant_type="refresh_token", refresh_token=first["refresh_token"])
    assert second["access_token"] != first["access_token"]
    assert whoami(http, bearer_of(second["access_token"]))["role"] == "PARTNER_ADMIN"
    error(http.post(f"{AUTH}/token", data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]}),
          401, "InvalidLoginCredentials")
    third = token(http, grant_type="refresh_token", token=second["refresh_token"])  # the deprecated field
    assert third["access_token"]


def test_token_lifetimes_follow_the_emulator_settings(http):
    assert http.put("/_emulator/settings", json={"access_ttl_s": 120}).status_code == 200
    assert token(http, **CC)["expires_in"] == 120
    # A negative lifetime mints tokens that are already expired: no waiting needed.
    assert http.put("/_emulator/settings", json={"access_ttl_s": -1, "refresh_ttl_s": -1}).status_code == 200
    expired = token(http, **CC)
    error(http.get(f"{AUTH}/token", headers=bearer_of(expired["access_token"])), 401, "TokenExpired")
    error(http.post(f"{AUTH}/token", data={"grant_type": "refresh_token", "refresh_token": expired["refresh_token"]}),
          401, "InvalidLoginCredentials")


def test_requests_without_or_with_a_bad_token(http):
    error(http.get(f"{AUTH}/token"), 400, "MissingAuthToken")
    error(http.get(f"{ADMIN}/accounts", headers={"Authorization": "Basic abc"}), 400, "MissingAuthToken")
    error(http.get(f"{ADMIN}/accounts", headers=bearer_of("forged")), 401, "InvalidToken")


def test_deactivating_an_account_makes_its_tokens_fail(http):
    partner = partner_auth(http)
    account = new_account(http, partner)
    admin = seed_client(http, account, "ACCOUNT_ADMIN")
    assert http.get(f"{ADMIN}/accounts/{account}", headers=admin).status_code == 200
    assert http.put(f"{ADMIN}/accounts/{account}", json={"active": False}, headers=partner).status_code == 200
    error(http.get(f"{ADMIN}/accounts/{account}", headers=admin), 403, "InactiveAccount")
    error(http.get(f"{AUTH}/token", headers=admin), 403, "InactiveAccount")
    r = http.post("/_emulator/seed/client", json={"accountId": account, "role": "ACCOUNT_ADMIN"}).json()
    error(http.post(f"{AUTH}/token", data={"grant_type": "client_credentials", "client_id": r["clientId"],
                                           "client_secret": r["clientSecret"]}), 403, "InactiveAccount")


def test_deactivated_or_deleted_users_lose_their_tokens(http):
    partner = partner_auth(http)
    account = new_account(http, partner)
    user = seed_user(http, account, "u@acme.test", "pw")
    t = token(http, grant_type="password", username="u@acme.test", password="pw")
    assert whoami(http, bearer_of(t["access_token"]))["principalId"] == user["userId"]
    users = f"{ADMIN}/accounts/{account}/users/{user['userId']}"
    assert http.put(users, json={"active": False}, headers=partner).status_code == 200
    error(http.get(f"{AUTH}/token", headers=bearer_of(t["access_token"])), 403, "UserNotActive")
    error(http.post(f"{AUTH}/token", data={"grant_type": "refresh_token", "refresh_token": t["refresh_token"]}),
          403, "UserNotActive")
    assert http.delete(users, headers=partner).status_code == 204
    error(http.get(f"{AUTH}/token", headers=bearer_of(t["access_token"])), 401, "InvalidToken")


def test_inactive_api_client(http):
    account = new_account(http, partner_auth(http))
    r = http.post("/_emulator/seed/client", json={"accountId": account, "role": "ACCOUNT_ADMIN", "active": False})
    error(http.post(f"{AUTH}/token", data={"grant_type": "client_credentials", "client_id": r.json()["clientId"],
                                           "client_secret": r.json()["clientSecret"]}), 401, "ClientNotActive")


# --- assume-role ---------------------------------------------------------------------------------
def test_partner_admin_assumes_account_admin_in_its_customer(http):
    partner = partner_auth(http)
    account = new_account(http, partner)
    r = http.post(f"{AUTH}/assume-role/token", json={"accountId": account, "role": "ACCOUNT_ADMIN"}, headers=partner)
    assert r.status_code == 201 and set(r.json()) >= {"access_token", "refresh_token", "expires_in"}
    claims = whoami(http, bearer_of(r.json()["access_token"]))
    assert (claims["accountId"], claims["role"]) == (account, "ACCOUNT_ADMIN")
    assert claims["principalId"] == f"client:{CC['client_id']}"


def test_assume_a_lower_role_in_the_own_account(http):
    partner = partner_auth(http)
    r = http.post(f"{AUTH}/assume-role/token", json={"role": "USER"}, headers=partner)
    assert r.status_code == 201
    assert whoami(http, bearer_of(r.json()["access_token"]))["role"] == "USER"


def test_assume_role_never_goes_upward(http):
    partner = partner_auth(http)
    account = new_account(http, partner)
    admin = seed_client(http, account, "ACCOUNT_ADMIN")
    error(http.post(f"{AUTH}/assume-role/token", json={"role": "PARTNER_ADMIN"}, headers=admin), 400, "AssumeRoleHigh")
    error(http.post(f"{AUTH}/assume-role/token", json={"accountId": account, "role": "PARTNER_ADMIN"},
                    headers=partner), 400, "AssumeRoleHigh")
    error(http.post(f"{AUTH}/assume-role/token", json={"role": "GLOBAL_ADMIN"}, headers=partner), 400, "AssumeRoleHigh")


def test_assume_role_only_into_own_customers(http):
    partner = partner_auth(http)
    other = new_partner(http)
    theirs = new_account(http, other, "Theirs")
    mine = new_account(http, partner, "Mine")
    error(http.post(f"{AUTH}/assume-role/token", json={"accountId": theirs, "role": "ACCOUNT_ADMIN"},
                    headers=partner), 404, "AccountNotFound")
    admin = seed_client(http, mine, "ACCOUNT_ADMIN")
    error(http.post(f"{AUTH}/assume-role/token", json={"accountId": theirs, "role": "USER"}, headers=admin),
          403, "InsufficientPermissions")


def test_assume_role_into_an_inactive_customer(http):
    partner = partner_auth(http)
    account = new_account(http, partner)
    assert http.put(f"{ADMIN}/accounts/{account}", json={"active": False}, headers=partner).status_code == 200
    error(http.post(f"{AUTH}/assume-role/token", json={"accountId": account, "role": "ACCOUNT_ADMIN"},
                    headers=partner), 403, "InactiveAccount")


@pytest.mark.parametrize("content, status, name", [
    (b"", 400, "MissingBodyInRequest"),
    (b"{", 400, "MalformedJSON"),
    (b'{"accountId": "x"}', 400, "MissingRoleInRequest"),
    (b'{"role": "KING"}', 400, "InvalidRole"),
])
def test_bad_assume_role_bodies(http, content, status, name):
    headers = {**partner_auth(http), "content-type": "application/json"}
    error(http.post(f"{AUTH}/assume-role/token", content=content, headers=headers), status, name)


def test_global_admin_can_assume_into_any_customer(http):
    other = new_partner(http)
    theirs = new_account(http, other, "Theirs")
    me = whoami(http, partner_auth(http))["accountId"]
    root = seed_client(http, me, "GLOBAL_ADMIN")
    r = http.post(f"{AUTH}/assume-role/token", json={"accountId": theirs, "role": "ACCOUNT_ADMIN"}, headers=root)
    assert r.status_code == 201
