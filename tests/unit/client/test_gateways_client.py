"""The client's gateway API against the running emulator: gateways, PBX link, waiting, directory."""

from __future__ import annotations

import pytest

import cloudlink_provider.client as cl
from cloudlink_provider.client import (Conflict, Gateway, Invalid, PbxConnectTimeout, PbxLink, PbxLinkFailed,
                                       create_or_adopt)
from tests.unit.pbx_world import emulator, fresh_world, http  # noqa: F401  (one server per module)

LINK = {"pbxType": "MIVOICE_5000", "host": "pbx.acme.test", "port": 443, "username": "admin", "password": "pw"}


@pytest.fixture
def account(client) -> str:
    return client.accounts.create({"name": "Acme"}).accountId


@pytest.fixture
def gateway(client, account) -> Gateway:
    return client.gateways.create(account, {"serialNumber": "GW-1", "type": "VIRTUAL", "name": "gw"})


def test_exports():
    for name in ("Gateway", "PbxLink", "PbxUser", "PbxRole", "TeamsIntegration", "PbxConnectError",
                 "PbxLinkFailed", "PbxConnectTimeout"):
        assert name in cl.__all__ and hasattr(cl, name)


def test_gateway_crud_and_natural_key(client, account, gateway):
    assert gateway.status == "ASSOCIATED" and gateway.serialNumber == "GW-1"
    assert client.gateways.find_by_serial(account, "GW-1") == gateway
    assert client.gateways.find_by_serial(account, "GW-2") is None
    assert client.gateways.get(account, gateway.gatewayId) == gateway
    renamed = client.gateways.update(account, gateway.gatewayId, {"name": "renamed"})
    assert renamed.name == "renamed" and client.gateways.get(account, gateway.gatewayId).name == "renamed"
    assert [g.gatewayId for g in client.gateways.list(account)] == [gateway.gatewayId]
    assert client.gateways.delete(account, gateway.gatewayId) is True
    assert client.gateways.delete(account, gateway.gatewayId) is False
    assert client.gateways.get(account, gateway.gatewayId) is None


def test_errors_keep_their_names(client, account, gateway):
    with pytest.raises(Conflict) as e:
        client.gateways.create(account, {"serialNumber": "GW-1", "type": "VIRTUAL", "name": "dup"})
    assert e.value.name == "GatewayAlreadyAssociated" and e.value.labels == [gateway.gatewayId]
    with pytest.raises(Invalid) as e:
        client.gateways.update(account, gateway.gatewayId, {"type": "MBG"})
    assert e.value.name == "ImmutableField"


def test_create_or_adopt_survives_a_lost_response(client, http, account):
    fields = {"serialNumber": "GW-LOST", "type": "APPLIANCE", "name": "gw"}
    # The server creates the gateway, then the response is lost.
    http.post("/_emulator/faults", json={"method": "POST", "path_contains": "/gateways", "after": True,
                                         "status": 503, "remaining": 1})
    gateway, adopted = create_or_adopt(lambda: client.gateways.find_by_serial(account, "GW-LOST"),
                                       lambda: client.gateways.create(account, fields))
    assert adopted and gateway.serialNumber == "GW-LOST"
    assert len(list(client.gateways.list(account))) == 1


def test_pbx_link_lifecycle(client, http, account, gateway):
    assert client.gateways.get_pbx_link(account, gateway.gatewayId) is None
    link = client.gateways.create_pbx_link(account, gateway.gatewayId, LINK)
    assert isinstance(link, PbxLink) and link.status == "CONNECTING" and "password" not in link.model_dump()
    connected = client.gateways.wait_connected(account, gateway.gatewayId, timeout_s=10)
    assert connected.status == "CONNECTED"
    assert client.gateways.get_pbx_link(account, gateway.gatewayId).status == "CONNECTED"
    moved = client.gateways.update_pbx_link(account, gateway.gatewayId, {"host": "pbx2.acme.test"})
    assert moved.status == "CONNECTING" and moved.host == "pbx2.acme.test"
    with pytest.raises(Conflict) as e:
        client.gateways.create_pbx_link(account, gateway.gatewayId, LINK)
    assert e.value.name == "PbxLinkExists"
    with pytest.raises(Conflict) as e:
        client.gateways.delete(account, gateway.gatewayId)
    assert e.value.name == "GatewayHasPbxLink"
    assert client.gateways.delete_pbx_link(account, gateway.gatewayId) is True
    assert client.gateways.delete_pbx_link(account, gateway.gatewayId) is False


def test_wait_connected_reports_failure_and_timeout(client, http, account, gateway):
    http.put("/_emulator/settings", json={"pbx_connect_s": 0})
    client.gateways.create_pbx_link(account, gateway.gatewayId, {**LINK, "host": "pbx.acme.invalid"})
    with pytest.raises(PbxLinkFailed) as e:
        client.gateways.wait_connected(account, gateway.gatewayId, timeout_s=10)
    assert e.value.link.status == "FAILED"
    http.put("/_emulator/settings", json={"pbx_connect_s": 3600})
    client.gateways.update_pbx_link(account, gateway.gatewayId, {"host": "slow.acme.test"})
    with pytest.raises(PbxConnectTimeout) as e:
        client.gateways.wait_connected(account, gateway.gatewayId, timeout_s=0.1)
    assert e.value.link.status == "CONNECTING" and isinstance(e.value, TimeoutError)


def test_pbx_directory(client, http, account, gateway):
    with pytest.raises(Conflict) as e:
        list(client.gateways.list_pbx_users(account))
    assert e.value.name == "PbxNotConnected"
    http.put("/_emulator/settings", json={"pbx_connect_s": 0})
    client.gateways.create_pbx_link(account, gateway.gatewayId, LINK)
    users = list(client.gateways.list_pbx_users(account))  # follows _links.next across pages
    assert len(users) == 1500 and users[0].email == "user2000@pbx.acme.test"
    assert client.gateways.find_pbx_user(account, "3499").name == "User 3499"
    assert client.gateways.find_pbx_user(account, "1999") is None
