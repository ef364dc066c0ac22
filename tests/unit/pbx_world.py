"""Builders for the gateway/integrations tests: a gateway and a connected PBX over HTTP.

The shared world (one emulator per module, reset before each test) comes from tests.unit.world
and is re-exported: `from tests.unit.pbx_world import emulator, fresh_world, http`.
"""

from __future__ import annotations

import httpx

from tests.unit.world import ADMIN, account, auth, emulator, error, fresh_world, http, new_account  # noqa: F401,E501

GW = "/gateway/2017-09-01"
INT = "/integrations/2017-09-01"


def new_gateway(http: httpx.Client, auth: dict[str, str], account_id: str, serial: str = "GW-0001",
                type_: str = "VIRTUAL", name: str = "gw") -> dict:
    r = http.post(f"{GW}/accounts/{account_id}/gateways", json={"serialNumber": serial, "type": type_, "name": name},
                  headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def link_body(pbx_type: str = "MIVOICE_5000", host: str = "pbx.acme.test", **extra) -> dict:
    return {"pbxType": pbx_type, "host": host, "port": 443, "username": "admin", "password": "s3cret", **extra}


def instant_connect(http: httpx.Client) -> None:
    """Links connect at once from now on (no waiting in tests)."""
    assert http.put("/_emulator/settings", json={"pbx_connect_s": 0}).status_code == 200


def connected_pbx(http: httpx.Client, auth: dict[str, str], account_id: str, pbx_type: str = "MIVOICE_5000",
                  serial: str = "GW-0001", host: str = "pbx.acme.test") -> dict:
    """A gateway of the account with a CONNECTED PBX link; returns the link."""
    instant_connect(http)
    gateway = new_gateway(http, auth, account_id, serial)
    r = http.post(f"{GW}/accounts/{account_id}/gateways/{gateway['gatewayId']}/pbx-link",
                  json=link_body(pbx_type, host), headers=auth)
    assert r.status_code == 201, r.text
    link = http.get(f"{GW}/accounts/{account_id}/gateways/{gateway['gatewayId']}/pbx-link", headers=auth).json()
    assert link["status"] == "CONNECTED", link
    return link


def assumed(http: httpx.Client, auth: dict[str, str], account_id: str, role: str) -> dict[str, str]:
    """A token acting inside the customer account with a lower role."""
    r = http.post("/authentication/2017-09-01/assume-role/token", json={"accountId": account_id, "role": role},
                  headers=auth)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
