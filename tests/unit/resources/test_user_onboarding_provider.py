"""UserOnboarding provider logic against a live emulator, without the engine: the selection resolved from the
directory (check rejects, diff compares; an unreadable directory is never "no change"), that a lost create is
adopted (one user, one email), adoption by extension, and the Azure AD Sync guard."""

from __future__ import annotations

import pytest

from cloudlink_provider.resources._base import UNKNOWN, CloudLinkRefused
from cloudlink_provider.resources.user_onboarding import UserOnboardingProvider
from tests.conftest import bearer

HOST = "pbx.unit.example"
GW = "/gateway/2017-09-01"
ADMIN = "/admin/2017-09-01/accounts"


@pytest.fixture
def world(http, client_config):
    """A customer account with a connected MiVoice Business PBX whose directory holds 2000..2002 (2002: no email)."""
    auth = bearer(http)
    assert http.put("/_emulator/settings", json={"pbx_connect_s": 0}).status_code == 200
    account = http.post(ADMIN, json={"name": "Unit Co"}, headers=auth).json()["accountId"]
    gateway = http.post(f"{GW}/accounts/{account}/gateways", json={"serialNumber": "GW-UNIT-1", "type": "VIRTUAL",
                                                                  "name": "gw"}, headers=auth).json()["gatewayId"]
    r = http.post(f"{GW}/accounts/{account}/gateways/{gateway}/pbx-link", headers=auth, json={
        "pbxType": "MIVOICE_BUSINESS", "host": HOST, "port": 443, "username": "u", "password": "p"})
    assert r.status_code == 201, r.text
    users = [{"extension": "2000", "name": "A", "email": "a@unit.example"},
             {"extension": "2001", "name": "B", "email": "b@unit.example"},
             {"extension": "2002", "name": "C", "email": None}]
    assert http.put("/_emulator/pbx-directory", json={"host": HOST, "users": users}).status_code == 200
    http.delete("/_emulator/outbox")
    provider = UserOnboardingProvider()
    provider.use_credentials(client_config)
    return provider, account, auth


def inputs(account: str, **over) -> dict:
    return {"source": "pbx-directory", "extensions": "all", "application": "mitel-assistant", "welcomeEmail": True,
            "accountId": account, "after": "link", "maxUsers": 2500, "pbxTitle": "MiVoice Business",
            "requireName": False, "__provider": "x", **over}


def test_the_selection_is_resolved_from_the_directory_and_never_becomes_an_input(world):
    provider, account, _ = world
    assert provider.selection(inputs(account)) == ["2000", "2001"]  # 2002 has no email
    result = provider.check({}, inputs(account))
    assert result.failures == [] and "onboard" not in result.inputs
    assert provider.check({}, inputs(UNKNOWN)).failures == []  # a new customer: not judged yet


def test_diff_compares_the_selection_with_the_managed_users(world, http):
    provider, account, auth = world
    out = provider.create(inputs(account)).outs
    assert provider.diff("id", out, inputs(account)).changes is False
    users = [{"extension": "2000", "name": "A", "email": "a@unit.example"},
             {"extension": "2001", "name": "B", "email": "b@unit.example"},
             {"extension": "2004", "name": "D", "email": "d@unit.example"}]
    assert http.put("/_emulator/pbx-directory", json={"host": HOST, "users": users}).status_code == 200
    assert provider.diff("id", out, inputs(account)).changes is True  # a user added to the PBX


def test_a_directory_that_cannot_be_read_is_never_no_change(world, http):
    provider, account, auth = world
    out = provider.create(inputs(account)).outs
    [gateway] = http.get(f"{GW}/accounts/{account}/gateways", headers=auth).json()["_embedded"]["items"]
    assert http.delete(f"{GW}/accounts/{account}/gateways/{gateway['gatewayId']}/pbx-link",
                       headers=auth).status_code == 204
    assert provider.diff("id", out, inputs(account)).changes is True  # the link is gone: known at up
    fault = {"method": "GET", "path_contains": "/pbx/users", "status": 403, "remaining": 5}
    assert http.post("/_emulator/faults", json=fault).status_code in (200, 201)
    with pytest.raises(CloudLinkRefused, match="^UserOnboarding diff: CloudLink"):
        provider.diff("id", out, inputs(account))


@pytest.mark.parametrize("over,reason", [
    ({"extensions": ["2000", "2999"]}, "customer.users.extensions: 2999 is not in the PBX directory (3 users)"),
    ({"extensions": ["2002"]}, "customer.users.extensions: 2002 has no email in the PBX directory; a CloudLink "
                               "user needs one"),
    ({"maxUsers": 1, "pbxTitle": "Tiny PBX"}, "customer.users.extensions: all selects 2 PBX users, more than the "
                                              "Tiny PBX capacity of 1"),
])
def test_check_names_the_field_and_the_rule(world, over, reason):
    provider, account, _ = world
    [failure] = provider.check({}, inputs(account, **over)).failures
    assert (failure.property, failure.reason) == ("extensions", reason)


def test_mivoice_office_400_onboards_only_users_with_a_name(world, http):
    provider, account, _ = world
    users = [{"extension": "2000", "name": "A", "email": "a@unit.example"},
             {"extension": "2001", "name": None, "email": "b@unit.example"}]
    assert http.put("/_emulator/pbx-directory", json={"host": HOST, "users": users}).status_code == 200
    named = inputs(account, requireName=True, pbxTitle="MiVoice Office 400")
    assert provider.selection(named) == ["2000"]
    assert provider.selection(inputs(account)) == ["2000", "2001"]  # elsewhere an email will do
    [failure] = provider.check({}, {**named, "extensions": ["2001"]}).failures
    assert failure.reason == ("customer.users.extensions: 2001 has no name in the PBX directory; MiVoice Office 400 "
                              "onboards only users with a name and an email")


def test_a_lost_create_is_adopted_one_user_one_email(world, http):
    provider, account, auth = world
    fault = {"method": "POST", "path_contains": "/users", "after": True, "status": 503, "remaining": 1}
    assert http.post("/_emulator/faults", json=fault).status_code in (200, 201)
    out = provider.create(inputs(account)).outs
    assert [u["key"] for u in out["users"]] == ["2000", "2001"] and all(u["created"] for u in out["users"])
    listed = http.get(f"{ADMIN}/{account}/users", headers=auth).json()["_embedded"]["items"]
    assert sorted(u["email"] for u in listed) == ["a@unit.example", "b@unit.example"]
    assert sorted(m["to"] for m in http.get("/_emulator/outbox").json()["items"]) == ["a@unit.example",
                                                                                     "b@unit.example"]


def console_admin(http, account: str) -> dict[str, str]:
    seeded = http.post("/_emulator/seed/client", json={"accountId": account, "role": "ACCOUNT_ADMIN"}).json()
    return bearer(http, seeded["clientId"], seeded["clientSecret"])


def test_adopts_by_extension_and_sends_no_email_when_off(world, http):
    provider, account, auth = world
    r = http.post(f"{ADMIN}/{account}/users?welcomeEmail=false", headers=console_admin(http, account),
                  json={"email": "someone.else@unit.example", "extension": "2001"})
    assert r.status_code == 201, r.text
    out = provider.create(inputs(account, welcomeEmail=False)).outs
    by_key = {u["key"]: u for u in out["users"]}
    assert by_key["2001"]["userId"] == r.json()["userId"] and by_key["2001"]["created"] is False
    assert http.get("/_emulator/outbox").json()["count"] == 0
    provider.delete("id", out)  # destroy: only what it created
    left = {u["email"] for u in http.get(f"{ADMIN}/{account}/users", headers=auth).json()["_embedded"]["items"]}
    assert left == {"someone.else@unit.example"}


def test_refuses_to_onboard_from_the_pbx_while_azure_ad_sync_is_on(world, http):
    provider, account, auth = world
    assert http.post(f"/scim/2017-09-01/accounts/{account}/azure-sync", headers=auth).status_code == 201
    with pytest.raises(CloudLinkRefused, match="^UserOnboarding create: customer.users.source: Azure AD Sync is on"):
        provider.create(inputs(account))
    assert http.get(f"{ADMIN}/{account}/users", headers=auth).json()["count"] == 0


def test_a_user_a_killed_run_created_is_adopted_as_its_own(world, http):
    provider, account, auth = world
    r = http.post(f"{ADMIN}/{account}/users", headers=auth, json={"email": "a@unit.example", "extension": "2000"})
    assert r.status_code == 201  # made with the stack's own credentials, then the run died before saving state
    http.delete("/_emulator/outbox")
    out = provider.create(inputs(account)).outs
    assert [(u["key"], u["created"]) for u in out["users"]] == [("2000", True), ("2001", True)]
    assert [m["to"] for m in http.get("/_emulator/outbox").json()["items"]] == ["b@unit.example"]  # no 2nd email
    provider.delete("id", out)
    assert http.get(f"{ADMIN}/{account}/users", headers=auth).json()["count"] == 0


def test_an_application_taken_away_in_the_console_is_drift_that_update_deploys_again(world, http):
    """Issue 19: removing the deployed application from an onboarded user was not seen by refresh."""
    provider, account, auth = world
    out = provider.create(inputs(account)).outs
    assert provider.diff("id", out, inputs(account)).changes is False
    user = next(u for u in out["users"] if u["key"] == "2000")
    r = http.put(f"{ADMIN}/{account}/users/{user['userId']}", headers=console_admin(http, account),
                 json={"applications": []})
    assert r.status_code == 200 and r.json()["applications"] == [], r.text
    refreshed = provider.read("id", out).outs
    assert [(u["key"], u["deployed"]) for u in refreshed["users"]] == [("2000", False), ("2001", True)]
    assert refreshed["summary"]["onboarded"] == 1  # 2000 is no longer onboarded; its entry stays for destroy
    diff = provider.diff("id", refreshed, inputs(account))
    assert diff.changes is True and not diff.replaces  # what preview --refresh shows
    http.delete("/_emulator/outbox")
    updated = provider.update("id", refreshed, inputs(account)).outs
    assert all(u["deployed"] for u in updated["users"])
    assert http.get(f"{ADMIN}/{account}/users/{user['userId']}", headers=auth).json()["applications"] == [
        "MITEL_ASSISTANT"]
    assert http.get("/_emulator/outbox").json()["count"] == 0  # the same user: no new welcome email
    assert provider.diff("id", provider.read("id", updated).outs, inputs(account)).changes is False
