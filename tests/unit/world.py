"""The emulator world the fast emulator/client tests share: one real server per test module, reset
before each test, and the assertions and builders every suite uses.

Import the fixtures by name: `from tests.unit.world import emulator, fresh_world, http`.
"""

from __future__ import annotations

from dataclasses import asdict

import httpx
import pytest

from cloudlink_provider.emulator.common import Settings
from cloudlink_provider.emulator.server import EmulatorServer

ADMIN = "/admin/2017-09-01"


@pytest.fixture(scope="module")
def emulator(tmp_path_factory):
    """Overrides the per-test emulator of tests/conftest.py: starting uvicorn per test costs ~0.25 s."""
    with EmulatorServer(str(tmp_path_factory.mktemp("emulator") / "cloudlink.db")) as server:
        yield server


@pytest.fixture(scope="module")
def http(emulator):
    """One raw HTTP client per module too: building an httpx.Client costs ~25 ms (its SSL context)."""
    with httpx.Client(base_url=emulator.url, timeout=30) as h:
        yield h


@pytest.fixture(autouse=True)
def fresh_world(http):
    """Each test starts from the seeded demo partner, default settings, no faults and an empty outbox."""
    assert http.post("/_emulator/reset").status_code == 204
    assert http.put("/_emulator/settings", json=asdict(Settings())).status_code == 200


def error(r: httpx.Response, status: int, name: str) -> dict:
    """Assert a CloudLink error: its status AND its `name`, with a correlation id."""
    assert (r.status_code, r.json().get("name")) == (status, name), r.text
    assert r.headers.get("x-mitel-correlation-id")
    return r.json()


def new_account(http: httpx.Client, auth: dict[str, str], name: str = "Acme", **fields) -> str:
    r = http.post(f"{ADMIN}/accounts", json={"name": name, **fields}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()["accountId"]


@pytest.fixture
def auth(http):
    """The demo partner's bearer header."""
    from tests.conftest import bearer
    return bearer(http)


@pytest.fixture
def account(http, auth):
    """A fresh customer account of the demo partner."""
    return new_account(http, auth)
