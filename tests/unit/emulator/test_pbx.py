"""PBX links and the PBX directory in the emulator: one link per gateway, write-only password,
immutable pbxType, the CONNECTING -> CONNECTED|FAILED lifecycle and the directory it exposes."""

from __future__ import annotations

import pytest

from tests.conftest import bearer
from tests.unit.pbx_world import account, auth, emulator, fresh_world, http  # noqa: F401  (shared world)
from tests.unit.pbx_world import GW, connected_pbx, error, instant_connect, link_body, new_account, new_gateway




@pytest.fixture
def link_url(http, auth, account):
    gw = new_gateway(http, auth, account)
    return f"{GW}/accounts/{account}/gateways/{gw['gatewayId']}/pbx-link"


def test_create_hides_the_password_and_starts_connecting(http, auth, account, link_url):
    http.put("/_emulator/settings", json={"pbx_connect_s": 3600})  # stays CONNECTING for this test
    r = http.post(link_url, json=link_body("MX_ONE"), headers=auth)
    assert r.status_code == 201 and r.headers["etag"]
    link = r.json()
    assert link["status"] == "CONNECTING" and link["pbxType"] == "MX_ONE" and link["accountId"] == account
    assert "password" not in r.text and "s3cret" not in r.text and "_password" not in r.text
    got = http.get(link_url, headers=auth)
    assert got.json()["status"] == "CONNECTING" and "password" not in got.text
    error(http.get(f"{GW}/accounts/{account}/pbx/users", headers=auth), 409, "PbxNotConnected")


def test_connects_once_the_delay_has_passed(http, auth, link_url):
    assert http.post(link_url, json=link_body(), headers=auth).json()["status"] == "CONNECTING"
    instant_connect(http)  # the stored timestamp is now old enough
    assert http.get(link_url, headers=auth).json()["status"] == "CONNECTED"


def test_a_host_under_invalid_fails(http, auth, link_url):
    instant_connect(http)
    http.post(link_url, json=link_body(host="pbx.acme.invalid"), headers=auth)
    assert http.get(link_url, headers=auth).json()["status"] == "FAILED"


def test_one_link_per_gateway(http, auth, link_url):
    assert http.post(link_url, json=link_body(), headers=auth).status_code == 201
    error(http.post(link_url, json=link_body(), headers=auth), 409, "PbxLinkExists")


@pytest.mark.parametrize("change", [
    {"pbxType": "PANASONIC"}, {"host": ""}, {"port": 0}, {"port": "443"}, {"password": None}, {"colour": "red"},
    {"status": "CONNECTED"},
])
def test_invalid_link_is_a_validation_error(http, auth, link_url, change):
    error(http.post(link_url, json=link_body(**change), headers=auth), 400, "ValidationError")


def test_update_reconnects_only_on_a_real_change(http, auth, link_url):
    instant_connect(http)
    http.post(link_url, json=link_body(), headers=auth)
    assert http.get(link_url, headers=auth).json()["status"] == "CONNECTED"
    http.put("/_emulator/settings", json={"pbx_connect_s": 3600})
    same = http.put(link_url, json={"host": "pbx.acme.test", "password": "s3cret", "pbxType": "MIVOICE_5000"},
                    headers=auth)
    assert same.status_code == 200 and same.json()["status"] == "CONNECTED"
    for change in ({"password": "new-secret"}, {"port": 8443}, {"username": "root"}, {"host": "pbx2.acme.test"}):
        instant_connect(http)
        assert http.get(link_url, headers=auth).json()["status"] == "CONNECTED"
        http.put("/_emulator/settings", json={"pbx_connect_s": 3600})
        r = http.put(link_url, json=change, headers=auth)
        assert r.status_code == 200 and r.json()["status"] == "CONNECTING", change
    assert http.get(link_url, headers=auth).json()["host"] == "pbx2.acme.test"


def test_pbx_type_is_immutable_and_if_match_is_honoured(http, auth, link_url):
    etag = http.post(link_url, json=link_body(), headers=auth).headers["etag"]
    error(http.put(link_url, json={"pbxType": "MX_ONE"}, headers=auth), 400, "ImmutableField")
    assert http.put(link_url, json={"port": 1}, headers={**auth, "If-Match": etag}).status_code == 200
    error(http.put(link_url, json={"port": 2}, headers={**auth, "If-Match": etag}), 409,
          "ConditionalCheckFailedException")


def test_missing_link_and_gateway_are_404(http, auth, account, link_url):
    error(http.get(link_url, headers=auth), 404, "NotFound")
    error(http.delete(link_url, headers=auth), 404, "NotFound")
    error(http.post(f"{GW}/accounts/{account}/gateways/nope/pbx-link", json=link_body(), headers=auth),
          404, "NotFound")


def test_default_directory_is_1500_deterministic_users_paged(http, auth, account):
    connected_pbx(http, auth, account, host="pbx.acme.test")
    url = f"{GW}/accounts/{account}/pbx/users"
    first = http.get(url, params={"$top": 1000}, headers=auth).json()
    assert first["count"] == 1000 and "next" in first["_links"]
    rest = http.get(first["_links"]["next"]["href"], headers=auth).json()
    users = first["_embedded"]["items"] + rest["_embedded"]["items"]
    assert len(users) == 1500 and "next" not in rest["_links"]
    assert users[0] == {**users[0], "extension": "2000", "name": "User 2000", "email": "user2000@pbx.acme.test"}
    assert users[-1]["extension"] == "3499"
    one = http.get(url, params={"$filter": "extension eq '2042'"}, headers=auth).json()
    assert [u["name"] for u in one["_embedded"]["items"]] == ["User 2042"]


def test_directory_fixture_replaces_a_hosts_users(http, auth, account):
    r = http.put("/_emulator/pbx-directory", json={"host": "PBX.acme.test", "users": [
        {"extension": "100", "name": "Ada", "email": "ada@acme.test"}, {"extension": "101", "name": "Bob"}]})
    assert r.status_code == 200 and r.json()["count"] == 2
    connected_pbx(http, auth, account, host="pbx.acme.test")
    items = http.get(f"{GW}/accounts/{account}/pbx/users", headers=auth).json()["_embedded"]["items"]
    assert [(u["extension"], u["name"]) for u in items] == [("100", "Ada"), ("101", "Bob")]
    error(http.put("/_emulator/pbx-directory", json={"host": "h", "users": [{"extension": "1"}, {"extension": "1"}]}),
          400, "ValidationError")
    error(http.put("/_emulator/pbx-directory", json={"users": []}), 400, "ValidationError")


def test_directory_of_a_foreign_account_is_404(http, auth, account):
    connected_pbx(http, auth, account)
    http.post("/_emulator/seed/partner", json={"name": "Rival", "clientId": "rival", "clientSecret": "rival-s"})
    error(http.get(f"{GW}/accounts/{account}/pbx/users", headers=bearer(http, "rival", "rival-s")), 404, "NotFound")
