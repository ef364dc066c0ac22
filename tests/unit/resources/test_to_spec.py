"""Each resource's one API->spec mapping (`to_spec`), and what the SSO read compares beyond the spec."""

from __future__ import annotations

from cloudlink_provider.client import (Account, AzureSync, Gateway, IdentityProvider, PbxLink, PbxRole,
                                      TeamsIntegration)
from cloudlink_provider.customer.model import parse_customer
from cloudlink_provider.resources import (account, gateway, pbx_connection, role_assignment, sso_scim_integration,
                                          teams_integration)
from cloudlink_provider.resources.sso_scim_integration import WANTED, SsoScimProvider
from cloudlink_provider.wire import AZURE_SAML_ENTITY_ID, AZURE_SAML_REPLY_URL
from tests.unit.identity_world import CERT_B64, CERT_PEM

TENANT = "5b1f6c7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"


def idp(**changes) -> IdentityProvider:
    saml = {"issuerId": f"https://sts.windows.net/{TENANT}/",
            "serviceProviderIssuerId": AZURE_SAML_ENTITY_ID.format(account_id="acc-1"),
            "serviceProviderReplyUrl": AZURE_SAML_REPLY_URL.format(account_id="acc-1"),
            "loginUrl": "https://login.example/saml2", "certificates": [CERT_B64]}
    return IdentityProvider(accountId="acc-1", type=changes.pop("type", "AZURE"), active=changes.pop("active", True),
                            saml={**saml, **changes})


def test_every_mapping_gives_spec_names_that_the_customer_model_accepts():
    spec = {
        "account": account.to_spec(Account(accountId="acc-1", name="Acme", domain="acme.example",
                                           languageCode="en-GB", active=False)),
        "gateway": gateway.to_spec(Gateway(gatewayId="gw", accountId="acc-1", serialNumber="CLGW-0001",
                                           type="EMBEDDED_SMBC", name="HQ")),
        "pbx": pbx_connection.to_spec(PbxLink(gatewayId="gw", accountId="acc-1", pbxType="MIVOICE_BUSINESS",
                                              host="pbx.acme.example", port=443, username="cl")),
        "teams": teams_integration.to_spec(TeamsIntegration(integrationId="i", accountId="acc-1",
                                                            tenantId=TENANT.upper(), clientId=TENANT,
                                                            mode="BIDIRECTIONAL")),
    }
    assert spec["account"] == {"name": "Acme", "domain": "acme.example", "languageCode": "en-GB", "active": False}
    assert spec["gateway"]["type"] == "embedded-smbc" and spec["pbx"]["type"] == "mivoice-business"
    assert spec["teams"] == {"tenantId": TENANT, "clientId": TENANT, "mode": "bidirectional"}
    sso = sso_scim_integration.to_spec(idp(), AzureSync(accountId="acc-1", scimBaseUrl="https://s"))
    spec["sso"] = {k: v for k, v in sso.items() if k not in WANTED and v is not None}
    assert spec["sso"]["certificate"] == CERT_PEM and spec["sso"]["scim"] is True
    parse_customer(spec)


def test_roles_come_in_extension_order():
    roles = [PbxRole(accountId="a", extension=e, role="CTI") for e in ("2010", "201", "3")]
    assert [r["extension"] for r in role_assignment.to_spec(roles)] == ["3", "201", "2010"]


def test_sso_mapping_sees_inactive_foreign_and_rotated():
    assert {k: sso_scim_integration.to_spec(idp(), None)[k] for k in WANTED} == WANTED
    odd = sso_scim_integration.to_spec(idp(type="OKTA", active=False, serviceProviderReplyUrl="https://x.example/cs"),
                                       None)
    assert (odd["provider"], odd["active"], odd["cloudLinkServiceProvider"]) == ("OKTA", False, False)
    sync = AzureSync(accountId="acc-1", scimBaseUrl="https://s", tokenCreatedOn="2026-01-02T00:00:00.000Z")
    assert sso_scim_integration.to_spec(idp(), sync, "2026-01-01T00:00:00.000Z")["scimTokenCurrent"] is False
    assert sso_scim_integration.to_spec(idp(), sync, "2026-01-02T00:00:00.000Z")["scimTokenCurrent"] is True
    assert sso_scim_integration.to_spec(idp(), sync, None)["scimTokenCurrent"] is True  # cannot tell


def test_a_state_from_before_the_sso_checks_existed_plans_no_change():
    news = {"provider": "azure-ad", "issuerId": "i", "loginUrl": "https://l", "certificate": CERT_PEM, "scim": True,
            "accountId": "acc-1", **WANTED}
    olds = {k: v for k, v in news.items() if k not in WANTED}
    assert SsoScimProvider().diff("acc-1", olds, news).changes is False
    assert SsoScimProvider().diff("acc-1", {**olds, "scimTokenCurrent": False}, news).changes is True
