"""Each resource's one API->spec mapping (`to_spec`), and what the SSO read compares beyond the spec."""

from __future__ import annotations

import pytest

from cloudlink_provider.client import (Account, AzureSync, Gateway, IdentityProvider, PbxLink, PbxRole,
                                      TeamsIntegration)
from cloudlink_provider.customer.model import parse_customer
from cloudlink_provider.resources import (account, gateway, pbx_connection, role_assignment, sso_scim_integration,
                                          teams_integration)
from cloudlink_provider.resources import LiveSso
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
    sso = sso_scim_integration.to_spec(LiveSso(idp(), AzureSync(accountId="acc-1", scimBaseUrl="https://s")))
    assert not set(sso) & set(WANTED)  # the spec's fields only: what read compares beyond them is apart
    spec["sso"] = {k: v for k, v in sso.items() if v is not None}
    assert spec["sso"]["certificate"] == CERT_PEM and spec["sso"]["scim"] is True
    parse_customer(spec)


def test_roles_come_in_extension_order():
    roles = [PbxRole(accountId="a", extension=e, role="CTI") for e in ("2010", "201", "3")]
    assert [r["extension"] for r in role_assignment.to_spec(roles)] == ["3", "201", "2010"]


def test_sso_comparison_sees_inactive_foreign_and_rotated():
    compared = sso_scim_integration.compared
    assert compared(LiveSso(idp())) == WANTED
    odd = LiveSso(idp(type="OKTA", active=False, serviceProviderReplyUrl="https://x.example/cs"))
    assert sso_scim_integration.to_spec(odd)["provider"] == "OKTA"
    assert (compared(odd)["active"], compared(odd)["cloudLinkServiceProvider"]) == (False, False)
    live = LiveSso(idp(), AzureSync(accountId="acc-1", scimBaseUrl="https://s",
                                     tokenCreatedOn="2026-01-02T00:00:00.000Z"))
    assert compared(live, "2026-01-01T00:00:00.000Z")["scimTokenCurrent"] is False
    assert compared(live, "2026-01-02T00:00:00.000Z")["scimTokenCurrent"] is True
    assert compared(live, None)["scimTokenCurrent"] is True  # cannot tell


def test_a_state_from_before_the_sso_checks_existed_plans_no_change():
    news = {"provider": "azure-ad", "issuerId": "i", "loginUrl": "https://l", "certificate": CERT_PEM, "scim": True,
            "accountId": "acc-1", **WANTED}
    olds = {k: v for k, v in news.items() if k not in WANTED}
    assert SsoScimProvider().diff("acc-1", olds, news).changes is False
    assert SsoScimProvider().diff("acc-1", {**olds, "scimTokenCurrent": False}, news).changes is True


def test_every_resource_kind_declares_its_mapping_through_the_one_interface():
    from cloudlink_provider.resources import RESOURCE_TYPES, CloudLinkProvider

    assert len(RESOURCE_TYPES) == 7 and "cloudlink:UserOnboarding" in RESOURCE_TYPES
    for token, cls in RESOURCE_TYPES.items():
        assert cls.PROVIDER.to_spec is not CloudLinkProvider.to_spec, token
        assert cls.PROVIDER.__module__ == cls.__module__  # beside the resource it maps, one module per kind
    with pytest.raises(TypeError, match="declares no `to_spec`"):
        type("NoMapping", (CloudLinkProvider,), {})


def test_user_onboarding_maps_live_users_to_a_users_block_the_model_accepts():
    from cloudlink_provider.client import User
    from cloudlink_provider.customer.users import UsersSpec
    from cloudlink_provider.resources.user_onboarding import UserOnboardingProvider

    def user(ext, source="API", apps=("MITEL_ASSISTANT",)):
        return User(userId=f"u{ext}", accountId="a", email=f"{ext}@x.example", extension=ext, source=source,
                    applications=list(apps))

    block = UserOnboardingProvider.to_spec([user("2010"), user("201"), user(None, apps=())])
    assert block == {"source": "pbx-directory", "extensions": ["201", "2010"]}
    block = UserOnboardingProvider.to_spec([user("201"), user("2010")])
    assert block == {"source": "pbx-directory", "extensions": ["201", "2010"], "application": "mitel-assistant"}
    UsersSpec.model_validate(block)
    synced = UserOnboardingProvider.to_spec([user(None, source="SCIM")])
    assert synced == {"source": "azure-ad-sync", "application": "mitel-assistant"}
    UsersSpec.model_validate(synced)
