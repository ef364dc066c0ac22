"""Fixtures that start real things: an emulator on a free port with a fresh SQLite file."""

from __future__ import annotations

import httpx
import pytest

from cloudlink_provider.client import ClientConfig, CloudLink
from cloudlink_provider.emulator.server import EmulatorServer
from cloudlink_provider.emulator.store import DEMO_PARTNER


@pytest.fixture
def emulator(tmp_path):
    with EmulatorServer(str(tmp_path / "cloudlink.db")) as server:
        yield server


@pytest.fixture
def client_config(emulator) -> ClientConfig:
    return ClientConfig(emulator.url, DEMO_PARTNER["client_id"], DEMO_PARTNER["client_secret"])


@pytest.fixture
def client(client_config):
    with CloudLink(client_config) as c:
        yield c


@pytest.fixture
def http(emulator):
    """Raw HTTP against the emulator, for out-of-band changes and negative tests."""
    with httpx.Client(base_url=emulator.url, timeout=30) as h:
        yield h


def bearer(http: httpx.Client, client_id: str = DEMO_PARTNER["client_id"],
           client_secret: str = DEMO_PARTNER["client_secret"]) -> dict[str, str]:
    r = http.post("/authentication/2017-09-01/token",
                  data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret})
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
