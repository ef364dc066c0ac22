"""Helpers for the gateway/integrations tests: one emulator per module, reset between tests, and
builders for an account, a gateway and a connected PBX over HTTP.

One real server per module (reset to a fresh world before each test) keeps these
suites at a few seconds; starting uvicorn per test costs about a quarter second.
Import the fixtures by name: `from tests.unit.pbx_world import emulator, fresh_world, http`.
"""

from __future__ import annotations

from dataclasses import asdict

import httpx
import pytest

from cloudlink_provider.emulator.common import Settings
from cloudlink_provider.emulator.server import EmulatorServer

GW = "/gateway/2017-09-01"
INT = "/integrations/2017-09-01"
ADMIN = "/admin/2017-09-01"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """Overrides the per-test emulator of tests/conftest.py for the modules importing it."""
    with EmulatorServer(str(tmp_path_factory.mktemp("emulator") / "cloudlink.db")) as server:
        yield server


@pytest.fixture(scope="module")
def http(emulator):
    """One raw HTTP client per module too: building an httpx.Client costs ~25 ms (its SSL context)."""
    with httpx.Client(base_url=emulator.url, timeout=30) as h:
        yield h


@pytest.fixture(autouse=True)
def fresh_world(http):
    """Each test starts from the seeded demo partner and default settings, as with a new server."""
    assert http.post("/_emulator/reset").status_code == 204
    assert http.put("/_emulator/settings", json=asdict(Settings())).status_code == 200


def new_account(http: httpx.Client, auth: dict[str, str], name: str = "Acme") -> str:
    r = http.post(f"{ADMIN}/accounts", json={"name": name}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["accountId"]


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


def error(r: httpx.Response, status: int, name: str) -> dict:
    assert (r.status_code, r.json().get("name")) == (status, name), r.text
    return r.json()
