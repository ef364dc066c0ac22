"""`client.users`, `client.identity` and `client.scim` against a running emulator."""

from __future__ import annotations

import httpx
import pytest

import cloudlink_provider.client as cl
from cloudlink_provider.client import ClientConfig, CloudLink, Conflict, Invalid, create_or_adopt
from cloudlink_provider.emulator.store import DEMO_PARTNER
from cloudlink_provider.customer.saml import pem_certificates
from tests.unit.identity_world import emulator, fresh_world  # noqa: F401  (module-scoped server)
from tests.unit.identity_world import CERT_B64, CERT_PEM, TENANT, bearer_of


@pytest.fixture
def client(emulator):
    with CloudLink(ClientConfig(emulator.url, DEMO_PARTNER["client_id"], DEMO_PARTNER["client_secret"],
                                max_wait_s=0.05)) as c:
        yield c


@pytest.fixture
def account(client) -> str:
    return client.accounts.create({"name": "Contoso"}).accountId


def test_exported_names():
    for name in ("User", "IdentityProvider", "SamlSettings", "azure_saml", "AzureSync"):
        assert name in cl.__all__ and hasattr(cl, name)


# --- users ---------------------------------------------------------------------------------------
def test_users_lifecycle(client, account, http):
    made = client.users.create(account, {"email": "ann@contoso.test", "extension": "1001"})
    assert isinstance(made, cl.User) and made.role == "USER" and made.source == "API"
    assert client.users.get(account, made.userId).email == "ann@contoso.test"
    assert client.users.find_by_email(account, "ANN@contoso.test").userId == made.userId
    assert client.users.find_by_email(account, "nobody@contoso.test") is None
    assert client.users.update(account, made.userId, {"role": "ACCOUNT_ADMIN"}).role == "ACCOUNT_ADMIN"
    client.users.send_welcome_email(account, made.userId)
    assert [m["to"] for m in http.get("/_emulator/outbox").json()["items"]] == ["ann@contoso.test"] * 2
    assert [u.userId for u in client.users.list(account)] == [made.userId]
    assert client.users.delete(account, made.userId) is True
    assert client.users.delete(account, made.userId) is False
    assert client.users.get(account, made.userId) is None


def test_user_rule_violations(client, account):
    client.users.create(account, {"email": "a@contoso.test", "loginId": "a"})
    with pytest.raises(Conflict) as caught:
        client.users.create(account, {"email": "b@contoso.test", "loginId": "A"})
    assert caught.value.name == "DuplicateValue" and caught.value.labels == ["loginId"]
    with pytest.raises(Invalid) as caught:
        client.users.create(account, {"email": "c@contoso.test", "role": "GLOBAL_ADMIN"})
    assert caught.value.name == "InvalidRole"


def test_a_lost_user_create_is_adopted(client, account, http):
    assert http.post("/_emulator/faults", json={"status": 503, "after": True, "method": "POST",
                                                "path_contains": "/users", "remaining": 1}).status_code == 201
    user, adopted = create_or_adopt(lambda: client.users.find_by_email(account, "lost@contoso.test"),
                                    lambda: client.users.create(account, {"email": "lost@contoso.test"}))
    assert adopted and user.email == "lost@contoso.test"
    assert len(list(client.users.list(account))) == 1


# --- SSO -----------------------------------------------------------------------------------------
def test_identity_provider_put_get_delete(client, account):
    assert client.identity.get(account) is None
    settings = cl.azure_saml(account, TENANT, CERT_PEM)
    assert settings["serviceProviderIssuerId"] == f"https://authentication.api.mitel.io/2017-09-01/saml2/{account}"
    made = client.identity.put(account, settings)
    assert isinstance(made, cl.IdentityProvider) and made.identityProviderId == account and made.type == "AZURE"
    assert made.saml.certificates == pem_certificates(CERT_PEM) == [CERT_B64]
    assert made.saml.issuerId == f"https://sts.windows.net/{TENANT}/"
    changed = client.identity.put(account, {**settings, "loginUrl": "https://idp.contoso.test/sso"}, active=False)
    assert changed.active is False and changed.saml.loginUrl == "https://idp.contoso.test/sso"
    assert client.identity.update(account, active=True).active is True
    assert client.identity.get(account).saml.loginUrl == "https://idp.contoso.test/sso"
    assert client.identity.delete(account) is True
    assert client.identity.delete(account) is False
    assert client.identity.get(account) is None


def test_identity_provider_validation_reaches_the_caller(client, account):
    with pytest.raises(Invalid) as caught:
        client.identity.put(account, cl.azure_saml(account, TENANT, "not a certificate"))
    assert caught.value.name == "InvalidCertificates"
    with pytest.raises(Conflict) as caught:
        client.identity.create(account, cl.azure_saml(account, TENANT, CERT_PEM))
        client.identity.create(account, cl.azure_saml(account, TENANT, CERT_PEM))
    assert caught.value.name == "ConditionalCheckFailedException"


def test_a_lost_identity_provider_create_is_recovered(client, account, http):
    assert http.post("/_emulator/faults", json={"status": 502, "after": True, "method": "POST",
                                                "path_contains": "/identityProviders",
                                                "remaining": 1}).status_code == 201
    made = client.identity.put(account, cl.azure_saml(account, TENANT, CERT_PEM), active=False)
    assert made.active is False  # created (answer lost), then brought to the wanted state by an update


# --- Azure AD Sync -------------------------------------------------------------------------------
def scim_users(sync: cl.AzureSync, token: str) -> int:
    return httpx.get(f"{sync.scimBaseUrl}/Users", headers=bearer_of(token)).status_code


def test_azure_sync_enable_get_rotate_disable(client, account, emulator):
    assert client.scim.get(account) is None
    on = client.scim.enable(account)
    assert on.token and on.enabled and on.scimBaseUrl == f"{emulator.url}/scim/2017-09-01/{account}/v2"
    assert client.scim.get(account).token is None  # never shown again
    assert scim_users(on, on.token) == 200
    rotated = client.scim.rotate_token(account)
    assert rotated.token != on.token
    assert (scim_users(on, on.token), scim_users(on, rotated.token)) == (401, 200)
    with pytest.raises(Conflict) as caught:
        client.scim.enable(account)
    assert caught.value.name == "AzureSyncExists"
    again = client.scim.enable_or_rotate(account)  # already on: rotates
    assert scim_users(on, again.token) == 200 and scim_users(on, rotated.token) == 401
    assert client.scim.disable(account) is True
    assert client.scim.disable(account) is False
    assert scim_users(on, again.token) == 401


def test_a_lost_enable_answer_still_yields_a_working_token(client, account, http):
    assert http.post("/_emulator/faults", json={"status": 503, "after": True, "method": "POST",
                                                "path_contains": "/azure-sync", "remaining": 1}).status_code == 201
    sync = client.scim.enable_or_rotate(account)
    assert sync.token and scim_users(sync, sync.token) == 200
