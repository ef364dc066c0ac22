"""Admin API users in the emulator: CRUD, uniqueness, roles, limits, the welcome email."""

from __future__ import annotations

import pytest

from tests.unit.identity_world import account, auth, emulator, fresh_world  # noqa: F401  (shared world)
from tests.unit.identity_world import (ADMIN, bearer_of, error, new_account, partner_auth, seed_client, seed_user,
                                       token)




def users(account: str, user_id: str = "") -> str:
    return f"{ADMIN}/accounts/{account}/users" + (f"/{user_id}" if user_id else "")


def create(http, auth, account, **fields) -> dict:
    r = http.post(users(account), json=fields, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_get_list_update_delete(http, auth, account):
    u = create(http, auth, account, email="ann@acme.test", name="Ann", extension="1001", loginId="ann")
    assert u["accountId"] == account and u["role"] == "USER" and u["active"] is True and u["source"] == "API"
    assert u["createdBy"] and u["_links"]["self"]["href"].endswith(u["userId"]) and u["emailVerified"] is False
    assert "_password" not in u
    r = http.get(users(account, u["userId"]), headers=auth)
    assert r.status_code == 200 and r.headers["etag"] and r.json()["email"] == "ann@acme.test"
    create(http, auth, account, email="bob@acme.test")
    listed = http.get(users(account), headers=auth).json()
    assert [x["email"] for x in listed["_embedded"]["items"]] == ["ann@acme.test", "bob@acme.test"]
    found = http.get(users(account), params={"$filter": "email eq 'bob@acme.test'"}, headers=auth).json()
    assert found["count"] == 1
    r = http.put(users(account, u["userId"]), json={"name": "Ann B", "role": "ACCOUNT_ADMIN"}, headers=auth)
    assert r.status_code == 200 and r.json()["name"] == "Ann B" and r.json()["role"] == "ACCOUNT_ADMIN"
    assert r.json()["extension"] == "1001"  # partial update keeps the rest
    assert http.delete(users(account, u["userId"]), headers=auth).status_code == 204
    error(http.get(users(account, u["userId"]), headers=auth), 404, "UserNotFound")
    error(http.delete(users(account, u["userId"]), headers=auth), 404, "UserNotFound")


@pytest.mark.parametrize("fields, name", [
    ({"name": "No Email"}, "ValidationError"),
    ({"email": "not-an-email"}, "ValidationError"),
    ({"email": "a@b.test", "extension": "12a"}, "ValidationError"),
    ({"email": "a@b.test", "mobile": "call me"}, "ValidationError"),
    ({"email": "a@b.test", "active": "yes"}, "ValidationError"),
    ({"email": "a@b.test", "password": "x"}, "ValidationError"),
    ({"email": "a@b.test", "role": "PARTNER_ADMIN"}, "InvalidRole"),
    ({"email": "a@b.test", "role": "GUEST"}, "InvalidRole"),
])
def test_invalid_users_are_rejected(http, auth, account, fields, name):
    error(http.post(users(account), json=fields, headers=auth), 400, name)


def test_email_login_id_and_extension_are_unique_within_the_account(http, auth, account):
    create(http, auth, account, email="ann@acme.test", loginId="ann", extension="1001", mobile="+15550100")
    body = error(http.post(users(account), json={"email": "ANN@acme.test"}, headers=auth), 409, "DuplicateValue")
    assert body["labels"] == ["email"]
    body = error(http.post(users(account), json={"email": "x@acme.test", "loginId": "Ann", "extension": "1001"},
                           headers=auth), 409, "DuplicateValue")
    assert body["labels"] == ["extension", "loginId"]
    create(http, auth, account, email="y@acme.test", mobile="+15550100")  # mobile: unique only under Azure AD Sync
    other = new_account(http, auth, "Other")
    create(http, auth, other, email="ann@acme.test", loginId="ann", extension="1001")  # other account: fine
    bob = create(http, auth, account, email="bob@acme.test")
    body = error(http.put(users(account, bob["userId"]), json={"extension": "1001"}, headers=auth),
                 409, "DuplicateValue")
    assert body["labels"] == ["extension"]


def test_roles_change_only_between_user_and_account_admin(http, auth, account):
    u = create(http, auth, account, email="r@acme.test", role="ACCOUNT_ADMIN")
    assert u["role"] == "ACCOUNT_ADMIN"
    r = http.put(users(account, u["userId"]), json={"role": "USER"}, headers=auth)
    assert r.json()["role"] == "USER"
    error(http.put(users(account, u["userId"]), json={"role": "PARTNER_ADMIN"}, headers=auth), 400, "InvalidRole")
    boss = seed_user(http, account, "boss@acme.test", role="PARTNER_ADMIN")
    error(http.put(users(account, boss["userId"]), json={"role": "USER"}, headers=auth), 400, "InvalidRole")


def test_server_set_fields_are_immutable(http, auth, account):
    u = create(http, auth, account, email="i@acme.test")
    error(http.put(users(account, u["userId"]), json={"userId": "other"}, headers=auth), 400, "ImmutableField")
    error(http.put(users(account, u["userId"]), json={"source": "SCIM"}, headers=auth), 400, "ImmutableField")
    assert http.put(users(account, u["userId"]), json={**u, "name": "Echo"}, headers=auth).status_code == 200


def test_stale_if_match_is_a_conditional_failure(http, auth, account):
    u = http.post(users(account), json={"email": "e@acme.test"}, headers=auth)
    tag = u.headers["etag"]
    path = users(account, u.json()["userId"])
    assert http.put(path, json={"name": "1"}, headers={**auth, "If-Match": tag}).status_code == 200
    error(http.put(path, json={"name": "2"}, headers={**auth, "If-Match": tag}), 409,
          "ConditionalCheckFailedException")


def test_user_limit_of_the_account(http, auth):
    account = new_account(http, auth, "Small", userLimit=1)
    create(http, auth, account, email="one@acme.test")
    error(http.post(users(account), json={"email": "two@acme.test"}, headers=auth), 409, "UserLimitExceeded")


def test_creating_a_user_sends_the_welcome_email_and_it_can_be_resent(http, auth, account):
    u = create(http, auth, account, email="w@acme.test")
    outbox = http.get("/_emulator/outbox").json()
    assert outbox["count"] == 1
    mail = outbox["items"][0]
    assert (mail["to"], mail["template"], mail["userId"], mail["accountId"]) == \
        ("w@acme.test", "welcome", u["userId"], account)
    r = http.post(users(account, u["userId"]) + "/welcome-email", headers=auth)
    assert r.status_code == 202 and r.json()["to"] == "w@acme.test"
    assert http.get("/_emulator/outbox").json()["count"] == 2
    assert http.delete("/_emulator/outbox").status_code == 204
    assert http.get("/_emulator/outbox").json()["count"] == 0
    error(http.post(users(account, "nobody") + "/welcome-email", headers=auth), 404, "UserNotFound")


def test_a_user_sees_itself_but_not_the_others(http, auth, account):
    me = seed_user(http, account, "me@acme.test", "pw")
    other = create(http, auth, account, email="other@acme.test")
    mine = bearer_of(token(http, grant_type="password", username="me@acme.test", password="pw")["access_token"])
    assert http.get(users(account, me["userId"]), headers=mine).status_code == 200
    error(http.get(users(account, other["userId"]), headers=mine), 403, "InsufficientPermissions")
    error(http.get(users(account), headers=mine), 403, "InsufficientPermissions")
    error(http.post(users(account), json={"email": "n@acme.test"}, headers=mine), 403, "InsufficientPermissions")
    error(http.put(users(account, me["userId"]), json={"role": "ACCOUNT_ADMIN"}, headers=mine), 403,
          "InsufficientPermissions")
    error(http.delete(users(account, other["userId"]), headers=mine), 403, "InsufficientPermissions")


def test_account_admin_manages_its_own_account_users_only(http, auth, account):
    admin = seed_client(http, account, "ACCOUNT_ADMIN")
    u = create(http, admin, account, email="a@acme.test", role="ACCOUNT_ADMIN")
    assert u["createdBy"].startswith("client:")
    other = new_account(http, auth, "Other")
    error(http.get(users(other), headers=admin), 404, "NotFound")
    error(http.post(users(other), json={"email": "b@acme.test"}, headers=admin), 404, "NotFound")


def test_a_user_of_another_account_is_not_found_by_id(http, auth, account):
    other = new_account(http, auth, "Other")
    theirs = create(http, auth, other, email="t@acme.test")
    error(http.get(users(account, theirs["userId"]), headers=auth), 404, "UserNotFound")
    error(http.put(users(account, theirs["userId"]), json={"name": "x"}, headers=auth), 404, "UserNotFound")


def test_seeded_user_email_must_still_be_unique(http, account):
    seed_user(http, account, "s@acme.test")
    r = http.post("/_emulator/seed/user", json={"accountId": account, "email": "s@acme.test", "password": "x"})
    error(r, 409, "DuplicateValue")
    error(http.post("/_emulator/seed/user", json={"accountId": "nope", "email": "s@acme.test"}), 404,
          "AccountNotFound")
    error(http.post("/_emulator/seed/client", json={"accountId": account, "role": "KING"}), 400, "InvalidRole")


def test_filter_cannot_probe_internal_fields(http, auth, account):
    create(http, auth, account, email="ann@acme.test")
    r = http.get(users(account), params={"$filter": "_password eq 'x'"}, headers=auth)
    assert r.status_code == 400 and r.json()["name"] == "ValidationError"
