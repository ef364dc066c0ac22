"""What user onboarding relies on in the emulator: the welcome email's activation link, ?welcomeEmail=false,
a user's applications, the password grant after activation, and no second copy of an Azure AD Sync user."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.identity_world import account, auth, emulator, fresh_world  # noqa: F401  (shared world)
from tests.unit.identity_world import ADMIN, CORE_USER, SCIM, bearer_of, error

TOKEN = "/authentication/2017-09-01/token"


def users(account: str) -> str:
    return f"{ADMIN}/accounts/{account}/users"


def create(http, auth, account, query: str = "", **body) -> dict:
    r = http.post(users(account) + query, json={"email": "ana@acme.test", **body}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def outbox(http) -> list[dict]:
    return http.get("/_emulator/outbox").json()["items"]


def test_the_welcome_email_link_activates_the_user_and_sets_a_password_the_grant_accepts(http, auth, account,
                                                                                         emulator):
    user = create(http, auth, account, extension="2001", applications=["MITEL_ASSISTANT"])
    assert (user["extension"], user["applications"], user["emailVerified"]) == ("2001", ["MITEL_ASSISTANT"], False)
    [mail] = outbox(http)
    assert (mail["to"], mail["userId"], mail["template"]) == ("ana@acme.test", user["userId"], "welcome")
    link = mail["activationUrl"]
    assert link.startswith(emulator.url + "/_emulator/activate/")
    assert http.get(link).json()["email"] == "ana@acme.test"
    error(http.post(TOKEN, data={"grant_type": "password", "username": "ana@acme.test", "password": "Ana-2026!"}),
          401, "InvalidLoginCredentials")  # no password before activation

    error(http.post(link, json={"password": "short"}), 400, "ValidationError")
    r = http.post(link, json={"password": "Ana-2026!"})
    assert r.status_code == 200 and r.json()["emailVerified"] is True and "_password" not in r.json()
    grant = http.post(TOKEN, data={"grant_type": "password", "username": "ana@acme.test", "password": "Ana-2026!"})
    assert grant.status_code == 201, grant.text
    assert http.get(f"{users(account)}/{user['userId']}", headers=auth).json()["lastLoginOn"]
    error(http.post(link, json={"password": "Other-2026!"}), 409, "AlreadyActivated")
    error(http.post(link.rsplit("/", 1)[0] + "/not-a-token", json={"password": "Other-2026!"}), 404,
          "ActivationNotFound")


def test_each_resent_email_has_its_own_link_and_the_api_caller_never_sees_it(http, auth, account):
    user = create(http, auth, account)
    r = http.post(f"{users(account)}/{user['userId']}/welcome-email", headers=auth)
    assert r.status_code == 202 and "activationPath" not in r.json() and "activationUrl" not in r.json()
    first, second = outbox(http)
    assert first["activationUrl"] != second["activationUrl"]
    assert http.post(second["activationUrl"], json={"password": "Ana-2026!"}).status_code == 200
    error(http.post(first["activationUrl"], json={"password": "Ana-2026!"}), 409, "AlreadyActivated")


def test_welcome_email_false_sends_none(http, auth, account):
    create(http, auth, account, query="?welcomeEmail=false")
    assert outbox(http) == []


@pytest.mark.parametrize("apps", [["TEAMS"], "MITEL_ASSISTANT", ["MITEL_ONE", "MITEL_ONE"]])
def test_applications_are_a_list_of_known_applications(http, auth, account, apps):
    error(http.post(users(account), json={"email": "ana@acme.test", "applications": apps}, headers=auth), 400,
          "ValidationError")


def test_an_azure_ad_sync_user_cannot_be_onboarded_twice_but_takes_an_application(http, auth, account):
    sync = http.post(f"{SCIM}/accounts/{account}/azure-sync", headers=auth).json()
    with httpx.Client(base_url=sync["scimBaseUrl"], headers=bearer_of(sync["token"])) as scim:
        r = scim.post("/Users", json={"schemas": [CORE_USER], "userName": "sam@acme.test",
                                      "emails": [{"primary": True, "value": "sam@acme.test"}]})
        assert r.status_code == 201, r.text
    synced = r.json()["id"]
    error(http.post(users(account), json={"email": "SAM@acme.test"}, headers=auth), 409, "UserManagedByAzureAdSync")
    r = http.put(f"{users(account)}/{synced}", json={"applications": ["MITEL_ASSISTANT"]}, headers=auth)
    assert r.status_code == 200 and r.json()["applications"] == ["MITEL_ASSISTANT"]
    error(http.put(f"{users(account)}/{synced}", json={"name": "Sam"}, headers=auth), 409,
          "UserManagedByAzureAdSync")
