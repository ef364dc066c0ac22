"""Gateways in the emulator: association by serial, immutability, visibility, deletion rules."""

from __future__ import annotations

import pytest

from tests.conftest import bearer

from tests.unit.pbx_world import account, auth, emulator, fresh_world, http  # noqa: F401  (shared world)
from tests.unit.pbx_world import GW, assumed, error, link_body, new_account, new_gateway




def test_create_get_list_and_filter_by_serial(http, auth, account):
    gw = new_gateway(http, auth, account, "GW-A", "APPLIANCE", "front")
    assert gw["status"] == "ASSOCIATED" and gw["accountId"] == account and gw["type"] == "APPLIANCE"
    assert gw["createdBy"] and gw["_links"]["self"]["href"].endswith(gw["gatewayId"])
    new_gateway(http, auth, account, "GW-B")
    r = http.get(f"{GW}/accounts/{account}/gateways/{gw['gatewayId']}", headers=auth)
    assert r.status_code == 200 and r.headers["etag"] and r.json()["serialNumber"] == "GW-A"
    listed = http.get(f"{GW}/accounts/{account}/gateways", headers=auth).json()
    assert [g["serialNumber"] for g in listed["_embedded"]["items"]] == ["GW-A", "GW-B"]
    found = http.get(f"{GW}/accounts/{account}/gateways", params={"$filter": "serialNumber eq 'GW-B'"},
                     headers=auth).json()
    assert found["count"] == 1 and found["_embedded"]["items"][0]["serialNumber"] == "GW-B"


@pytest.mark.parametrize("body", [
    {"type": "VIRTUAL", "name": "x"},
    {"serialNumber": "S", "type": "TOASTER", "name": "x"},
    {"serialNumber": "S", "type": "VIRTUAL"},
    {"serialNumber": "S", "type": "VIRTUAL", "name": "x", "colour": "red"},
    {"serialNumber": "S", "type": "VIRTUAL", "name": "x", "status": "ONLINE"},
])
def test_invalid_create_is_a_validation_error(http, auth, account, body):
    error(http.post(f"{GW}/accounts/{account}/gateways", json=body, headers=auth), 400, "ValidationError")


def test_serial_in_same_account_is_already_associated_with_its_id(http, auth, account):
    gw = new_gateway(http, auth, account, "GW-1")
    body = error(http.post(f"{GW}/accounts/{account}/gateways",
                           json={"serialNumber": "GW-1", "type": "VIRTUAL", "name": "again"}, headers=auth),
                 409, "GatewayAlreadyAssociated")
    assert body["labels"] == [gw["gatewayId"]]


def test_serial_belongs_to_one_account_across_partners(http, auth, account):
    gw = new_gateway(http, auth, account, "GW-SHARED")
    r = http.post("/_emulator/seed/partner", json={"name": "Rival", "clientId": "rival", "clientSecret": "rival-s"})
    assert r.status_code == 201
    rival = bearer(http, "rival", "rival-s")
    rival_account = new_account(http, rival, "Rival Customer")

    # The rival cannot see the first partner's gateway (nor its account) ...
    error(http.get(f"{GW}/accounts/{account}/gateways/{gw['gatewayId']}", headers=rival), 404, "NotFound")
    error(http.get(f"{GW}/accounts/{account}/gateways", headers=rival), 404, "NotFound")
    # ... cannot associate the same serial, and learns nothing about who holds it.
    r = http.post(f"{GW}/accounts/{rival_account}/gateways",
                  json={"serialNumber": "GW-SHARED", "type": "VIRTUAL", "name": "mine"}, headers=rival)
    body = error(r, 409, "GatewayAlreadyAssociated")
    assert account not in r.text and gw["gatewayId"] not in r.text and "labels" not in body
    # A gateway under its own account id is still not reachable through another account's path.
    error(http.get(f"{GW}/accounts/{rival_account}/gateways/{gw['gatewayId']}", headers=rival), 404, "NotFound")


def test_roles_below_account_admin_are_forbidden(http, auth, account):
    user = assumed(http, auth, account, "USER")
    error(http.get(f"{GW}/accounts/{account}/gateways", headers=user), 403, "InsufficientPermissions")
    admin = assumed(http, auth, account, "ACCOUNT_ADMIN")
    assert http.get(f"{GW}/accounts/{account}/gateways", headers=admin).status_code == 200


def test_update_changes_name_only(http, auth, account):
    gw = new_gateway(http, auth, account, "GW-1")
    url = f"{GW}/accounts/{account}/gateways/{gw['gatewayId']}"
    r = http.put(url, json={"name": "renamed", "serialNumber": "GW-1"}, headers=auth)
    assert r.status_code == 200 and r.json()["name"] == "renamed" and r.json()["modifiedOn"] >= gw["modifiedOn"]
    error(http.put(url, json={"serialNumber": "GW-2"}, headers=auth), 400, "ImmutableField")
    error(http.put(url, json={"type": "MBG"}, headers=auth), 400, "ImmutableField")
    error(http.put(url, json={"status": "ONLINE"}, headers=auth), 400, "ValidationError")


def test_update_honours_if_match(http, auth, account):
    gw = new_gateway(http, auth, account, "GW-1")
    url = f"{GW}/accounts/{account}/gateways/{gw['gatewayId']}"
    etag = http.get(url, headers=auth).headers["etag"]
    assert http.put(url, json={"name": "one"}, headers={**auth, "If-Match": etag}).status_code == 200
    error(http.put(url, json={"name": "two"}, headers={**auth, "If-Match": etag}), 409,
          "ConditionalCheckFailedException")


def test_delete_needs_the_pbx_link_gone(http, auth, account):
    gw = new_gateway(http, auth, account, "GW-1")
    url = f"{GW}/accounts/{account}/gateways/{gw['gatewayId']}"
    assert http.post(f"{url}/pbx-link", json=link_body(), headers=auth).status_code == 201
    error(http.delete(url, headers=auth), 409, "GatewayHasPbxLink")
    assert http.delete(f"{url}/pbx-link", headers=auth).status_code == 204
    assert http.delete(url, headers=auth).status_code == 204
    error(http.get(url, headers=auth), 404, "NotFound")
    error(http.delete(url, headers=auth), 404, "NotFound")
    # Once dissociated the serial is free again.
    new_gateway(http, auth, account, "GW-1")


def test_status_control_and_account_cascade(http, auth, account):
    gw = new_gateway(http, auth, account, "GW-1")
    r = http.put(f"/_emulator/gateways/{gw['gatewayId']}/status", json={"status": "ONLINE"})
    assert r.status_code == 200 and r.json()["status"] == "ONLINE"
    error(http.put(f"/_emulator/gateways/{gw['gatewayId']}/status", json={"status": "ON FIRE"}), 400,
          "ValidationError")
    assert http.delete(f"/admin/2017-09-01/accounts/{account}", headers=auth).status_code == 204
    # The account took its gateway with it: the serial can be associated elsewhere.
    new_gateway(http, auth, new_account(http, auth, "Next"), "GW-1")
