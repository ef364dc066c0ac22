"""Azure AD Sync and its SCIM 2.0 /Users endpoint in the emulator, driven the way Azure AD drives it."""

from __future__ import annotations

import json

import httpx
import pytest

from tests.unit.identity_world import account, auth, emulator, fresh_world  # noqa: F401  (shared world)
from tests.unit.identity_world import (ADMIN, CORE_USER, SCIM, bearer_of, error, new_account, new_partner,
                                       partner_auth, scim_error, seed_client, whoami)

EXT = "urn:mitel:params:scim:schemas:extension:cloudlink:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"




def sync_path(account: str) -> str:
    return f"{SCIM}/accounts/{account}/azure-sync"


@pytest.fixture
def sync(http, auth, account) -> dict:
    r = http.post(sync_path(account), headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def scim(emulator, sync):
    """Azure AD's side: an HTTP client on the SCIM base URL with the sync token."""
    with httpx.Client(base_url=sync["scimBaseUrl"], headers=bearer_of(sync["token"])) as c:
        yield c


def azure_user(name: str = "alex", **extra) -> dict:
    """What Azure AD's provisioning service POSTs (attribute mapping defaults)."""
    return {"schemas": [CORE_USER, ENTERPRISE], "externalId": f"ext-{name}", "userName": f"{name}@contoso.test",
            "active": True, "displayName": name.title(),
            "emails": [{"primary": True, "type": "work", "value": f"{name}@contoso.test"}],
            "name": {"givenName": name.title(), "familyName": "Doe"},
            "phoneNumbers": [{"type": "mobile", "value": f"+1555{sum(map(ord, name)):04d}"}],
            ENTERPRISE: {"department": "Sales"}, **extra}


def scim_create(scim: httpx.Client, body: dict) -> dict:
    r = scim.post("/Users", json=body)
    assert r.status_code == 201, r.text
    return r.json()


# --- /azure-sync -------------------------------------------------------------------------------
def test_enable_shows_the_token_once(http, auth, account, sync, emulator):
    assert sync["accountId"] == account and sync["enabled"] is True and len(sync["token"]) >= 32
    assert sync["scimBaseUrl"] == f"{emulator.url}/scim/2017-09-01/{account}/v2"
    r = http.get(sync_path(account), headers=auth)
    assert r.status_code == 200 and "token" not in r.json() and r.json()["scimBaseUrl"] == sync["scimBaseUrl"]
    stored = json.dumps(emulator.store.db.list("azureSync"))
    assert sync["token"] not in stored and "_tokenHash" in stored  # only a hash is kept
    error(http.post(sync_path(account), headers=auth), 409, "AzureSyncExists")


def test_rotate_voids_the_old_token(http, auth, account, sync, scim):
    assert scim.get("/Users").status_code == 200
    r = http.post(sync_path(account) + "/token", headers=auth)
    assert r.status_code == 201 and r.json()["token"] != sync["token"]
    scim_error(scim.get("/Users"), 401)
    assert scim.get("/Users", headers=bearer_of(r.json()["token"])).status_code == 200


def test_disable_voids_the_token(http, auth, account, sync, scim):
    assert http.delete(sync_path(account), headers=auth).status_code == 204
    scim_error(scim.get("/Users"), 401)
    error(http.get(sync_path(account), headers=auth), 404, "AzureSyncNotFound")
    error(http.delete(sync_path(account), headers=auth), 404, "AzureSyncNotFound")
    error(http.post(sync_path(account) + "/token", headers=auth), 404, "AzureSyncNotFound")
    assert http.post(sync_path(account), headers=auth).status_code == 201  # can be enabled again


def test_scim_base_url_follows_the_configured_base_url(http, auth, account):
    assert http.put("/_emulator/settings", json={"base_url": "https://cloudlink.example"}).status_code == 200
    r = http.post(sync_path(account), headers=auth)
    assert r.json()["scimBaseUrl"] == f"https://cloudlink.example/scim/2017-09-01/{account}/v2"


def test_azure_sync_rules(http, auth, account):
    me = whoami(http, auth)["accountId"]
    error(http.post(sync_path(me), headers=auth), 403, "AzureSyncNotAllowedOnPartnerAccount")
    user = seed_client(http, account, "USER")
    error(http.post(sync_path(account), headers=user), 403, "InsufficientPermissions")
    other = new_partner(http)
    error(http.post(sync_path(account), headers=other), 404, "NotFound")
    assert http.put(f"{ADMIN}/accounts/{account}", json={"active": False}, headers=auth).status_code == 200
    error(http.post(sync_path(account), headers=auth), 403, "InactiveAccount")


# --- SCIM /Users -------------------------------------------------------------------------------
def test_azure_creates_a_cloudlink_user(http, auth, account, scim):
    r = scim.post("/Users", json=azure_user("alex", **{EXT: {"extension": "2001"}}))
    assert r.status_code == 201 and r.headers["content-type"].startswith("application/scim+json")
    body = r.json()
    assert r.headers["location"] == body["meta"]["location"] == f"{scim.base_url}Users/{body['id']}"
    assert body["userName"] == "alex@contoso.test" and body["externalId"] == "ext-alex"
    assert body[ENTERPRISE] == {"department": "Sales"} and body[EXT] == {"extension": "2001"}
    assert body["meta"]["resourceType"] == "User"
    cl = http.get(f"{ADMIN}/accounts/{account}/users/{body['id']}", headers=auth).json()
    assert (cl["email"], cl["loginId"], cl["firstName"], cl["lastName"], cl["name"]) == \
        ("alex@contoso.test", "alex@contoso.test", "Alex", "Doe", "Alex")
    assert (cl["mobile"], cl["extension"], cl["source"], cl["active"]) == ("+15550426", "2001", "SCIM", True)
    assert [m["to"] for m in http.get("/_emulator/outbox").json()["items"]] == ["alex@contoso.test"]


def test_get_and_list_with_filters_and_paging(scim):
    ids = [scim_create(scim, azure_user(n))["id"] for n in ("ann", "bob", "cyd")]
    assert scim.get(f"/Users/{ids[1]}").json()["userName"] == "bob@contoso.test"
    listed = scim.get("/Users").json()
    assert listed["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert listed["totalResults"] == 3 and [u["id"] for u in listed["Resources"]] == ids
    found = scim.get("/Users", params={"filter": 'userName eq "BOB@contoso.test"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["id"] == ids[1]
    assert scim.get("/Users", params={"filter": 'externalId eq "ext-cyd"'}).json()["Resources"][0]["id"] == ids[2]
    both = scim.get("/Users", params={"filter": 'emails[type eq "work"].value sw "a" or displayName eq "Bob"'})
    assert [u["id"] for u in both.json()["Resources"]] == ids[:2]
    assert scim.get("/Users", params={"filter": 'userName eq "nobody@x.test"'}).json()["totalResults"] == 0
    page = scim.get("/Users", params={"startIndex": 2, "count": 1}).json()
    assert (page["totalResults"], page["startIndex"], page["itemsPerPage"]) == (3, 2, 1)
    assert page["Resources"][0]["id"] == ids[1]


@pytest.mark.parametrize("params, scim_type", [
    ({"filter": "userName eq"}, "invalidFilter"),
    ({"filter": 'favouriteColour eq "red"'}, "invalidFilter"),
    ({"startIndex": "one"}, "invalidValue"),
])
def test_bad_list_requests(scim, params, scim_type):
    scim_error(scim.get("/Users", params=params), 400, scim_type)


def test_replace_a_user(http, auth, account, scim):
    created = scim_create(scim, azure_user("dan"))
    body = azure_user("dan", displayName="Daniel", phoneNumbers=[{"type": "work", "value": "+15551234"}])
    r = scim.put(f"/Users/{created['id']}", json=body)
    assert r.status_code == 200 and r.json()["displayName"] == "Daniel"
    cl = http.get(f"{ADMIN}/accounts/{account}/users/{created['id']}", headers=auth).json()
    assert (cl["name"], cl["phone"], cl.get("mobile")) == ("Daniel", "+15551234", None)


def test_patch_the_way_entra_does(http, auth, account, scim):
    created = scim_create(scim, azure_user("eve"))
    ops = {"schemas": [PATCH], "Operations": [
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "eve.new@contoso.test"},
        {"op": "Add", "path": 'phoneNumbers[type eq "work"].value', "value": "+15559999"},
        {"op": "Add", "value": {"displayName": "Eve N", "name.familyName": "New"}},
        {"op": "Replace", "path": f"{EXT}:extension", "value": "3003"},
    ]}
    r = scim.patch(f"/Users/{created['id']}", json=ops)
    assert r.status_code == 200, r.text
    assert r.json()["active"] is False and r.json()["name"]["familyName"] == "New"
    cl = http.get(f"{ADMIN}/accounts/{account}/users/{created['id']}", headers=auth).json()
    assert (cl["active"], cl["email"], cl["phone"], cl["name"], cl["lastName"], cl["extension"]) == \
        (False, "eve.new@contoso.test", "+15559999", "Eve N", "New", "3003")
    assert scim.get(f"/Users/{created['id']}").json()["externalId"] == "ext-eve"  # the rest is kept


def test_bad_patches(scim):
    created = scim_create(scim, azure_user("fay"))
    scim_error(scim.patch(f"/Users/{created['id']}", json={"schemas": [PATCH], "Operations": [
        {"op": "jump", "path": "active", "value": True}]}), 400, "invalidValue")
    scim_error(scim.patch(f"/Users/{created['id']}", json={"schemas": [PATCH], "Operations": [
        {"op": "remove", "path": "userName"}]}), 400, "mutability")


def test_delete_a_user(http, auth, account, scim):
    created = scim_create(scim, azure_user("gus"))
    assert scim.delete(f"/Users/{created['id']}").status_code == 204
    scim_error(scim.get(f"/Users/{created['id']}"), 404)
    scim_error(scim.delete(f"/Users/{created['id']}"), 404)
    error(http.get(f"{ADMIN}/accounts/{account}/users/{created['id']}", headers=auth), 404, "UserNotFound")


@pytest.mark.parametrize("clash", [
    {"userName": "hal@contoso.test", "emails": [{"type": "work", "value": "other@contoso.test"}]},
    {"userName": "x@contoso.test", "emails": [{"type": "work", "value": "HAL@contoso.test"}]},
    {"phoneNumbers": [{"type": "mobile", "value": "+15550003"}]},
    {"phoneNumbers": [{"type": "work", "value": "+15550777"}]},
    {EXT: {"extension": "4004"}},
])
def test_uniqueness_clashes_are_409_uniqueness(scim, clash):
    scim_create(scim, azure_user("hal", phoneNumbers=[{"type": "mobile", "value": "+15550003"},
                                                      {"type": "work", "value": "+15550777"}],
                                 **{EXT: {"extension": "4004"}}))
    body = {**azure_user("ivy"), **clash}
    detail = scim_error(scim.post("/Users", json=body), 409, "uniqueness")["detail"]
    assert "DuplicateValue" in detail


def test_uniqueness_on_update(scim):
    scim_create(scim, azure_user("jay"))
    kim = scim_create(scim, azure_user("kim"))
    scim_error(scim.patch(f"/Users/{kim['id']}", json={"schemas": [PATCH], "Operations": [
        {"op": "replace", "path": "userName", "value": "jay@contoso.test"}]}), 409, "uniqueness")


@pytest.mark.parametrize("body, scim_type", [
    ({"schemas": [CORE_USER], "displayName": "No user name"}, "invalidValue"),
    ({"schemas": [CORE_USER], "userName": "no-email"}, "invalidValue"),
    ({"schemas": [CORE_USER], "userName": "a@b.test", "active": "maybe"}, "invalidValue"),
    ({"schemas": [CORE_USER], "userName": "a@b.test", "shoeSize": 44}, "invalidSyntax"),
    ([1, 2], "invalidSyntax"),
])
def test_invalid_users(scim, body, scim_type):
    scim_error(scim.post("/Users", json=body), 400, scim_type)


def test_malformed_json(scim):
    scim_error(scim.post("/Users", content=b"{", headers={"content-type": "application/scim+json"}), 400,
               "invalidSyntax")


def test_scim_needs_the_sync_token_of_that_account(http, auth, account, sync, scim):
    scim_error(scim.get("/Users", headers={"Authorization": ""}), 401)
    scim_error(scim.get("/Users", headers=bearer_of("guess")), 401)
    scim_error(scim.get("/Users", headers=auth), 401)  # a CloudLink token is not the SCIM token
    other = new_account(http, auth, "Other")
    other_sync = http.post(sync_path(other), headers=auth).json()
    scim_error(scim.get("/Users", headers=bearer_of(other_sync["token"])), 401)
    theirs = httpx.get(f"{other_sync['scimBaseUrl']}/Users", headers=bearer_of(other_sync["token"]))
    assert theirs.status_code == 200 and theirs.json()["totalResults"] == 0


def test_users_of_other_accounts_are_not_reachable(http, auth, account, scim):
    other = new_account(http, auth, "Other")
    theirs = http.post(f"{ADMIN}/accounts/{other}/users", json={"email": "t@x.test"}, headers=auth).json()
    scim_error(scim.get(f"/Users/{theirs['userId']}"), 404)
    scim_error(scim.put(f"/Users/{theirs['userId']}", json=azure_user("t")), 404)


def test_admin_users_are_visible_to_scim(http, auth, account, scim):
    made = http.post(f"{ADMIN}/accounts/{account}/users", json={"email": "local@acme.test", "firstName": "Lo",
                                                                "mobile": "+15550042"}, headers=auth).json()
    found = scim.get("/Users", params={"filter": 'userName eq "local@acme.test"'}).json()
    user = found["Resources"][0]
    assert user["id"] == made["userId"] and user["emails"][0]["value"] == "local@acme.test"
    assert user["name"]["givenName"] == "Lo" and user["phoneNumbers"] == [{"type": "mobile", "value": "+15550042"}]


def test_azure_owns_synced_users_while_sync_is_on(http, auth, account, scim):
    made = scim_create(scim, azure_user("max"))
    path = f"{ADMIN}/accounts/{account}/users/{made['id']}"
    error(http.put(path, json={"name": "Local edit"}, headers=auth), 409, "UserManagedByAzureAdSync")
    error(http.delete(path, headers=auth), 409, "UserManagedByAzureAdSync")
    assert http.put(path, json={"role": "ACCOUNT_ADMIN"}, headers=auth).status_code == 200  # roles are CloudLink's
    assert http.delete(sync_path(account), headers=auth).status_code == 204
    assert http.put(path, json={"name": "Local edit"}, headers=auth).status_code == 200


def test_service_provider_config(scim):
    r = scim.get("/ServiceProviderConfig")
    assert r.status_code == 200 and r.json()["patch"]["supported"] is True
    assert r.json()["filter"] == {"supported": True, "maxResults": 200}


def test_scim_stops_when_the_account_is_deactivated(http, auth, account, scim):
    assert scim.get("/Users").status_code == 200
    assert http.put(f"{ADMIN}/accounts/{account}", json={"active": False}, headers=auth).status_code == 200
    scim_error(scim.get("/Users"), 403)
    scim_error(scim.post("/Users", json=azure_user("zed")), 403)
