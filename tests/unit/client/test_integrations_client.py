"""The client's Teams integration API against the running emulator."""

from __future__ import annotations

import uuid

import pytest

from cloudlink_provider.client import Conflict, Forbidden, Invalid, TeamsIntegration
from tests.unit.pbx_world import emulator, fresh_world, http  # noqa: F401  (one server per module)

TEAMS = {"tenantId": str(uuid.UUID(int=1)), "clientId": str(uuid.UUID(int=2)), "clientSecret": "s",
         "mode": "UNIDIRECTIONAL"}


@pytest.fixture
def account(client, http) -> str:
    http.put("/_emulator/settings", json={"pbx_connect_s": 0})
    account = client.accounts.create({"name": "Acme"}).accountId
    gateway = client.gateways.create(account, {"serialNumber": "GW-1", "type": "VIRTUAL", "name": "gw"})
    client.gateways.create_pbx_link(account, gateway.gatewayId, {
        "pbxType": "MIVOICE_5000", "host": "pbx.acme.test", "port": 443, "username": "u", "password": "p"})
    return account


def test_lifecycle(client, account):
    assert client.integrations.find_teams(account) is None
    teams = client.integrations.create(account, TEAMS)  # type defaults to MS_TEAMS
    assert isinstance(teams, TeamsIntegration) and teams.status == "CONSENT_PENDING" and teams.consentUrl
    assert "clientSecret" not in teams.model_dump()
    assert client.integrations.find_teams(account) == teams
    assert client.integrations.get(account, teams.integrationId) == teams
    assert client.integrations.grant_consent(account, teams.integrationId).status == "ENABLED"
    assert client.integrations.grant_consent(account, teams.integrationId, granted=False).status == "FAILED"
    rotated = client.integrations.update(account, teams.integrationId, {"clientSecret": "new"})
    assert rotated.status == "FAILED" and rotated.modifiedOn >= teams.modifiedOn
    assert client.integrations.delete(account, teams.integrationId) is True
    assert client.integrations.delete(account, teams.integrationId) is False
    assert client.integrations.get(account, teams.integrationId) is None


def test_rule_violations_keep_their_names(client, account):
    with pytest.raises(Invalid) as e:
        client.integrations.create(account, {**TEAMS, "mode": "BIDIRECTIONAL"})
    assert e.value.name == "BidirectionalRequiresMiVoiceBusiness"
    teams = client.integrations.create(account, TEAMS)
    with pytest.raises(Conflict) as e:
        client.integrations.create(account, TEAMS)
    assert e.value.name == "IntegrationExists" and e.value.labels == [teams.integrationId]
    with pytest.raises(Invalid) as e:
        client.integrations.update(account, teams.integrationId, {"tenantId": str(uuid.UUID(int=7))})
    assert e.value.name == "ImmutableField"
    with pytest.raises(Forbidden) as e:
        client.integrations.create(client.whoami().accountId, TEAMS)
    assert e.value.name == "IntegrationNotAllowedOnPartnerAccount"
