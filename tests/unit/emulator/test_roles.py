"""PBX roles in the emulator: role by pbxType, directory membership, capacity, link deletion."""

from __future__ import annotations

import pytest

from cloudlink_provider.wire import MAX_ROLE_HOLDERS
from tests.conftest import bearer
from tests.unit.pbx_world import account, auth, emulator, fresh_world, http  # noqa: F401  (shared world)
from tests.unit.pbx_world import GW, assumed, connected_pbx, error, link_body, new_account, new_gateway




def roles_url(account: str, extension: str = "") -> str:
    return f"{GW}/accounts/{account}/pbx/roles" + (f"/{extension}" if extension else "")


def test_put_creates_then_updates_and_lists(http, auth, account):
    link = connected_pbx(http, auth, account, "MIVOICE_5000")
    r = http.put(roles_url(account, "2001"), json={"role": "CTI"}, headers=auth)
    assert r.status_code == 201 and r.headers["etag"]
    assert r.json() == {**r.json(), "extension": "2001", "role": "CTI", "gatewayId": link["gatewayId"],
                        "name": "User 2001", "accountId": account}
    again = http.put(roles_url(account, "2001"), json={"role": "CTI"}, headers=auth)
    assert again.status_code == 200 and again.headers["etag"] == r.headers["etag"]  # no change, same version
    assert http.put(roles_url(account, "2002"), json={"role": "CTI"}, headers=auth).status_code == 201
    listed = http.get(roles_url(account), headers=auth).json()
    assert [i["extension"] for i in listed["_embedded"]["items"]] == ["2001", "2002"]
    assert http.get(roles_url(account, "2002"), headers=auth).json()["role"] == "CTI"


@pytest.mark.parametrize("pbx_type,role", [("MX_ONE", "USER"), ("MIVOICE_5000", "CTI")])
def test_the_role_each_pbx_allows(http, auth, account, pbx_type, role):
    connected_pbx(http, auth, account, pbx_type)
    assert http.put(roles_url(account, "2000"), json={"role": role}, headers=auth).status_code == 201
    other = {"USER": "CTI", "CTI": "USER"}[role]
    error(http.put(roles_url(account, "2001"), json={"role": other}, headers=auth), 400, "RoleNotAllowed")


@pytest.mark.parametrize("pbx_type", ["MIVOICE_OFFICE_400", "MIVOICE_BUSINESS"])
def test_no_role_on_other_pbxs(http, auth, account, pbx_type):
    connected_pbx(http, auth, account, pbx_type)
    for role in ("CTI", "USER"):
        error(http.put(roles_url(account, "2000"), json={"role": role}, headers=auth), 400, "RoleNotAllowed")


def test_the_extension_must_be_in_the_directory(http, auth, account):
    connected_pbx(http, auth, account)
    error(http.put(roles_url(account, "9999"), json={"role": "CTI"}, headers=auth), 404, "PbxUserNotFound")


def test_needs_a_connected_pbx(http, auth, account):
    error(http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=auth), 409, "PbxNotConnected")
    http.put("/_emulator/settings", json={"pbx_connect_s": 3600})
    gw = new_gateway(http, auth, account)
    http.post(f"{GW}/accounts/{account}/gateways/{gw['gatewayId']}/pbx-link", json=link_body(), headers=auth)
    error(http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=auth), 409, "PbxNotConnected")


def test_invalid_bodies(http, auth, account):
    connected_pbx(http, auth, account)
    error(http.put(roles_url(account, "2000"), json={}, headers=auth), 400, "ValidationError")
    error(http.put(roles_url(account, "2000"), json={"role": "CTI", "extension": "2001"}, headers=auth),
          400, "ValidationError")


def test_capacity_is_max_role_holders_per_account(emulator, http, auth, account):
    connected_pbx(http, auth, account)
    assert http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=auth).status_code == 201
    # Fill the rest straight into the store: a thousand HTTP calls would only slow the suite down.
    template = emulator.store.db.get("pbx_role", f"{account}:2000")
    with emulator.store.db.transaction():
        for n in range(2001, 2000 + MAX_ROLE_HOLDERS):
            emulator.store.db.put("pbx_role", f"{account}:{n}", {**template, "extension": str(n)}, account)
    error(http.put(roles_url(account, "3400"), json={"role": "CTI"}, headers=auth), 409, "RoleCapacityExceeded")
    assert http.put(roles_url(account, "2500"), json={"role": "CTI"}, headers=auth).status_code == 200
    assert http.delete(roles_url(account, "2500"), headers=auth).status_code == 204
    assert http.put(roles_url(account, "3400"), json={"role": "CTI"}, headers=auth).status_code == 201


def test_delete_and_missing_roles(http, auth, account):
    connected_pbx(http, auth, account)
    error(http.get(roles_url(account, "2000"), headers=auth), 404, "NotFound")
    error(http.delete(roles_url(account, "2000"), headers=auth), 404, "NotFound")
    http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=auth)
    assert http.delete(roles_url(account, "2000"), headers=auth).status_code == 204
    error(http.get(roles_url(account, "2000"), headers=auth), 404, "NotFound")


def test_if_match_on_an_existing_role(http, auth, account):
    connected_pbx(http, auth, account)
    etag = http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=auth).headers["etag"]
    assert http.put(roles_url(account, "2000"), json={"role": "CTI"},
                    headers={**auth, "If-Match": etag}).status_code == 200
    error(http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers={**auth, "If-Match": '"99"'}),
          409, "ConditionalCheckFailedException")
    error(http.put(roles_url(account, "2001"), json={"role": "CTI"}, headers={**auth, "If-Match": etag}),
          409, "ConditionalCheckFailedException")


def test_deleting_the_link_removes_its_roles(http, auth, account):
    link = connected_pbx(http, auth, account)
    http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=auth)
    link_url = f"{GW}/accounts/{account}/gateways/{link['gatewayId']}/pbx-link"
    assert http.delete(link_url, headers=auth).status_code == 204
    assert http.get(roles_url(account), headers=auth).json()["count"] == 0


def test_user_role_and_foreign_partner_cannot_touch_roles(http, auth, account):
    connected_pbx(http, auth, account)
    user = assumed(http, auth, account, "USER")
    error(http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=user), 403, "InsufficientPermissions")
    http.post("/_emulator/seed/partner", json={"name": "Rival", "clientId": "rival", "clientSecret": "rival-s"})
    rival = bearer(http, "rival", "rival-s")
    error(http.put(roles_url(account, "2000"), json={"role": "CTI"}, headers=rival), 404, "NotFound")
    error(http.get(roles_url(account), headers=rival), 404, "NotFound")
