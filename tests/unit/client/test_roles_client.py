"""The client's PBX roles API against the running emulator."""

from __future__ import annotations

import pytest

from cloudlink_provider.client import Conflict, Invalid, NotFound, PbxRole
from tests.unit.pbx_world import emulator, fresh_world, http  # noqa: F401  (one server per module)


def connected_account(client, http, pbx_type: str) -> str:
    http.put("/_emulator/settings", json={"pbx_connect_s": 0})
    account = client.accounts.create({"name": "Acme"}).accountId
    gateway = client.gateways.create(account, {"serialNumber": "GW-1", "type": "VIRTUAL", "name": "gw"})
    client.gateways.create_pbx_link(account, gateway.gatewayId, {
        "pbxType": pbx_type, "host": "pbx.acme.test", "port": 443, "username": "u", "password": "p"})
    return account


def test_put_list_get_delete(client, http):
    account = connected_account(client, http, "MX_ONE")
    role = client.roles.put(account, "2000", "USER")
    assert isinstance(role, PbxRole) and (role.extension, role.role, role.name) == ("2000", "USER", "User 2000")
    assert client.roles.put(account, "2000", "USER") == role  # repeating a PUT changes nothing
    client.roles.put(account, "2001", "USER")
    assert [r.extension for r in client.roles.list(account)] == ["2000", "2001"]
    assert client.roles.get(account, "2001").role == "USER"
    assert client.roles.get(account, "2002") is None
    assert client.roles.delete(account, "2001") is True
    assert client.roles.delete(account, "2001") is False


def test_rule_violations_keep_their_names(client, http):
    account = connected_account(client, http, "MIVOICE_5000")
    with pytest.raises(Invalid) as e:
        client.roles.put(account, "2000", "USER")
    assert e.value.name == "RoleNotAllowed"
    with pytest.raises(NotFound) as e:
        client.roles.put(account, "42", "CTI")
    assert e.value.name == "PbxUserNotFound"
    other = client.accounts.create({"name": "Unconnected"}).accountId
    with pytest.raises(Conflict) as e:
        client.roles.put(other, "2000", "CTI")
    assert e.value.name == "PbxNotConnected"
