"""The Microsoft Teams integration in the emulator: GUIDs, one per customer account, PBX prerequisites,
bidirectional only with MiVoice Business, consent, write-only secret, immutable tenant."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import bearer
from tests.unit.pbx_world import account, auth, emulator, fresh_world, http  # noqa: F401  (shared world)
from tests.unit.pbx_world import INT, assumed, connected_pbx, error, new_account

TENANT, APP = str(uuid.UUID(int=1)), str(uuid.UUID(int=2))




def teams(**extra) -> dict:
    return {"type": "MS_TEAMS", "tenantId": TENANT, "clientId": APP, "clientSecret": "azure-secret",
            "mode": "UNIDIRECTIONAL", **extra}


def url(account: str, integration_id: str = "") -> str:
    return f"{INT}/accounts/{account}/integrations" + (f"/{integration_id}" if integration_id else "")


def create(http, auth, account, **extra) -> dict:
    r = http.post(url(account), json=teams(**extra), headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_is_consent_pending_with_a_consent_url(http, auth, account):
    connected_pbx(http, auth, account, "MIVOICE_5000")
    r = http.post(url(account), json=teams(), headers=auth)
    assert r.status_code == 201 and r.headers["etag"]
    body = r.json()
    assert body["status"] == "CONSENT_PENDING" and body["accountId"] == account and body["mode"] == "UNIDIRECTIONAL"
    assert body["consentUrl"] == f"https://login.microsoftonline.com/{TENANT}/adminconsent?client_id={APP}"
    assert "azure-secret" not in r.text and "clientSecret" not in r.text
    got = http.get(url(account, body["integrationId"]), headers=auth)
    assert got.status_code == 200 and "clientSecret" not in got.text
    listed = http.get(url(account), params={"$filter": "type eq 'MS_TEAMS'"}, headers=auth).json()
    assert [i["integrationId"] for i in listed["_embedded"]["items"]] == [body["integrationId"]]


@pytest.mark.parametrize("field", ["tenantId", "clientId"])
def test_ids_must_be_guids(http, auth, account, field):
    connected_pbx(http, auth, account)
    body = error(http.post(url(account), json=teams(**{field: "not-a-guid"}), headers=auth), 400, "ValidationError")
    assert field in body["message"]


@pytest.mark.parametrize("change", [{"type": "SLACK"}, {"mode": "SIDEWAYS"}, {"clientSecret": ""}, {"x": 1}])
def test_other_invalid_bodies(http, auth, account, change):
    connected_pbx(http, auth, account)
    error(http.post(url(account), json=teams(**change), headers=auth), 400, "ValidationError")


def test_one_per_account(http, auth, account):
    connected_pbx(http, auth, account)
    first = create(http, auth, account)
    body = error(http.post(url(account), json=teams(), headers=auth), 409, "IntegrationExists")
    assert body["labels"] == [first["integrationId"]]


def test_not_on_partner_accounts(http, auth):
    partner_account = http.get("/authentication/2017-09-01/token", headers=auth).json()["accountId"]
    error(http.post(url(partner_account), json=teams(), headers=auth), 403, "IntegrationNotAllowedOnPartnerAccount")


def test_needs_a_connected_pbx(http, auth, account):
    error(http.post(url(account), json=teams(), headers=auth), 409, "PbxNotConnected")


@pytest.mark.parametrize("pbx_type", ["MIVOICE_5000", "MX_ONE", "MIVOICE_OFFICE_400"])
def test_bidirectional_needs_mivoice_business(http, auth, account, pbx_type):
    connected_pbx(http, auth, account, pbx_type)
    error(http.post(url(account), json=teams(mode="BIDIRECTIONAL"), headers=auth), 400,
          "BidirectionalRequiresMiVoiceBusiness")


def test_bidirectional_with_mivoice_business(http, auth, account):
    connected_pbx(http, auth, account, "MIVOICE_BUSINESS")
    assert create(http, auth, account, mode="BIDIRECTIONAL")["mode"] == "BIDIRECTIONAL"


def test_consent_enables_or_fails(http, auth, account):
    connected_pbx(http, auth, account)
    iid = create(http, auth, account)["integrationId"]
    r = http.post(url(account, iid) + "/consent", json={"granted": True}, headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "ENABLED" and r.headers["etag"]
    assert http.post(url(account, iid) + "/consent", json={"granted": False},
                     headers=auth).json()["status"] == "FAILED"
    error(http.post(url(account, iid) + "/consent", json={"granted": "yes"}, headers=auth), 400, "ValidationError")
    error(http.post(url(account, "nope") + "/consent", json={"granted": True}, headers=auth), 404, "NotFound")


def test_update_rotates_secret_changes_mode_and_client(http, auth, account):
    connected_pbx(http, auth, account, "MIVOICE_5000", serial="GW-1", host="mivb-less.test")
    iid = create(http, auth, account)["integrationId"]
    http.post(url(account, iid) + "/consent", json={"granted": True}, headers=auth)
    r = http.put(url(account, iid), json={"clientSecret": "rotated"}, headers=auth)
    assert r.status_code == 200 and r.json()["status"] == "ENABLED" and "rotated" not in r.text
    # A mode change re-checks the bidirectional rule ...
    error(http.put(url(account, iid), json={"mode": "BIDIRECTIONAL"}, headers=auth), 400,
          "BidirectionalRequiresMiVoiceBusiness")
    connected_pbx(http, auth, account, "MIVOICE_BUSINESS", serial="GW-2", host="mivb.test")
    assert http.put(url(account, iid), json={"mode": "BIDIRECTIONAL"}, headers=auth).json()["mode"] == "BIDIRECTIONAL"
    # ... and a new Azure app needs consent again.
    new_app = str(uuid.UUID(int=3))
    changed = http.put(url(account, iid), json={"clientId": new_app}, headers=auth).json()
    assert changed["status"] == "CONSENT_PENDING" and changed["consentUrl"].endswith(new_app)
    error(http.put(url(account, iid), json={"clientId": "nope"}, headers=auth), 400, "ValidationError")


def test_tenant_is_immutable_and_if_match_is_honoured(http, auth, account):
    connected_pbx(http, auth, account)
    iid = create(http, auth, account)["integrationId"]
    error(http.put(url(account, iid), json={"tenantId": str(uuid.UUID(int=9))}, headers=auth), 400, "ImmutableField")
    assert http.put(url(account, iid), json={"tenantId": TENANT}, headers=auth).status_code == 200
    etag = http.get(url(account, iid), headers=auth).headers["etag"]
    assert http.put(url(account, iid), json={"clientSecret": "a"}, headers={**auth, "If-Match": etag}).status_code == 200
    error(http.put(url(account, iid), json={"clientSecret": "b"}, headers={**auth, "If-Match": etag}), 409,
          "ConditionalCheckFailedException")


def test_delete(http, auth, account):
    connected_pbx(http, auth, account)
    iid = create(http, auth, account)["integrationId"]
    assert http.delete(url(account, iid), headers=auth).status_code == 204
    error(http.get(url(account, iid), headers=auth), 404, "NotFound")
    error(http.delete(url(account, iid), headers=auth), 404, "NotFound")
    create(http, auth, account)  # the slot is free again


def test_visibility(http, auth, account):
    connected_pbx(http, auth, account)
    iid = create(http, auth, account)["integrationId"]
    error(http.get(url(account), headers=assumed(http, auth, account, "USER")), 403, "InsufficientPermissions")
    http.post("/_emulator/seed/partner", json={"name": "Rival", "clientId": "rival", "clientSecret": "rival-s"})
    rival = bearer(http, "rival", "rival-s")
    error(http.get(url(account, iid), headers=rival), 404, "NotFound")
    error(http.post(url(account), json=teams(), headers=rival), 404, "NotFound")
