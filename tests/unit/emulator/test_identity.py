"""SSO identity providers in the emulator, in the shapes of Mitel's Authentication API spec."""

from __future__ import annotations

import pytest

from tests.unit.identity_world import account, auth, emulator, fresh_world  # noqa: F401  (shared world)
from tests.unit.identity_world import (ADMIN, AUTH, CERT_B64, CERT_PEM, error, new_account, new_partner,
                                       partner_auth, saml, seed_client, whoami)

IDP = f"{AUTH}/identityProviders"




def create(http, auth, account, **body) -> dict:
    r = http.post(IDP, json={"accountId": account, "type": "AZURE", "saml": saml(account), **body}, headers=auth)
    assert r.status_code == 201, r.text
    return r.json()


def test_create_get_update_delete(http, auth, account):
    idp = create(http, auth, account)
    assert idp["identityProviderId"] == account and idp["accountId"] == account
    assert idp["type"] == "AZURE" and idp["active"] is True
    assert idp["saml"]["certificates"] == [CERT_B64]  # requests carry PEM, responses Base64 DER strings
    assert idp["saml"]["serviceProviderIssuerId"] == f"https://authentication.api.mitel.io/2017-09-01/saml2/{account}"
    assert idp["_links"]["self"] == f"{IDP}/{account}"  # a plain string, as in Mitel's resource schema
    r = http.get(f"{IDP}/{account}", headers=auth)
    assert r.status_code == 200 and r.headers["etag"] and r.json()["saml"] == idp["saml"]
    r = http.put(f"{IDP}/{account}", json={"active": False, "saml": {"loginUrl": "https://idp.example/login"}},
                 headers=auth)
    assert r.status_code == 200
    assert r.json()["active"] is False and r.json()["saml"]["loginUrl"] == "https://idp.example/login"
    assert r.json()["saml"]["issuerId"] == idp["saml"]["issuerId"]  # partial update keeps the rest
    r = http.delete(f"{IDP}/{account}", headers=auth)
    assert r.status_code == 200 and r.content == b""
    error(http.get(f"{IDP}/{account}", headers=auth), 404, "IdentityProviderNotFound")
    error(http.delete(f"{IDP}/{account}", headers=auth), 404, "IdentityProviderNotFound")
    error(http.put(f"{IDP}/{account}", json={"active": True}, headers=auth), 404, "IdentityProviderNotFound")


def test_list_is_the_accounts_collection(http, auth, account):
    admin = seed_client(http, account, "ACCOUNT_ADMIN")
    empty = http.get(IDP, headers=admin).json()
    assert empty["count"] == 0 and empty["_embedded"]["items"] == [] and empty["_links"]["self"] == IDP
    r = http.post(IDP, json={"type": "OKTA", "saml": saml(account)}, headers=admin)  # the caller's own account
    assert r.status_code == 201 and r.json()["accountId"] == account
    listed = http.get(IDP, headers=admin).json()
    assert listed["count"] == 1 and listed["_embedded"]["items"][0]["type"] == "OKTA"
    assert http.get(IDP, params={"accountId": account}, headers=auth).json()["count"] == 1


def test_one_provider_per_account(http, auth, account):
    create(http, auth, account)
    error(http.post(IDP, json={"accountId": account, "saml": saml(account)}, headers=auth), 409,
          "ConditionalCheckFailedException")


@pytest.mark.parametrize("override, name", [
    ({"loginUrl": "http://login.example/saml2"}, "InvalidLoginUrl"),
    ({"loginUrl": "login.example"}, "InvalidLoginUrl"),
    ({"logoutUrl": "ftp://x.example/"}, "InvalidLoginUrl"),
    ({"serviceProviderReplyUrl": "https:///no-host"}, "InvalidLoginUrl"),
    ({"certificates": "MIIC..."}, "InvalidCertificates"),
    ({"certificates": "-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"}, "InvalidCertificates"),
    ({"certificates": "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"}, "InvalidCertificates"),
    ({"certificates": CERT_PEM + "trailing junk"}, "InvalidCertificates"),
    ({"issuerId": ""}, "MissingParamInRequest"),
    ({"loginUrl": None}, "MissingParamInRequest"),
])
def test_saml_settings_are_validated(http, auth, account, override, name):
    error(http.post(IDP, json={"accountId": account, "saml": saml(account, **override)}, headers=auth), 400, name)


def test_missing_saml_and_bad_bodies(http, auth, account):
    error(http.post(IDP, json={"accountId": account, "type": "AZURE"}, headers=auth), 400, "MissingParamInRequest")
    missing = saml(account)
    del missing["serviceProviderIssuerId"]
    error(http.post(IDP, json={"accountId": account, "saml": missing}, headers=auth), 400, "MissingParamInRequest")
    error(http.post(IDP, content=b"{", headers={**auth, "content-type": "application/json"}), 400, "MalformedJSON")
    error(http.post(IDP, json={"accountId": account, "saml": saml(account), "colour": "red"}, headers=auth), 400,
          "ValidationError")
    error(http.post(IDP, json={"accountId": account, "saml": saml(account, color="red")}, headers=auth), 400,
          "ValidationError")


def test_updates_are_validated_too(http, auth, account):
    create(http, auth, account)
    error(http.put(f"{IDP}/{account}", json={"saml": {"loginUrl": "http://x.example"}}, headers=auth), 400,
          "InvalidLoginUrl")
    error(http.put(f"{IDP}/{account}", json={"saml": {"certificates": "nope"}}, headers=auth), 400,
          "InvalidCertificates")
    error(http.put(f"{IDP}/{account}", json={"accountId": "other"}, headers=auth), 400, "ImmutableField")
    two = http.put(f"{IDP}/{account}", json={"saml": {"certificates": [CERT_PEM, CERT_PEM]}}, headers=auth)
    assert two.json()["saml"]["certificates"] == [CERT_B64, CERT_B64]


def test_not_on_partner_accounts(http, auth):
    me = whoami(http, auth)["accountId"]
    error(http.post(IDP, json={"saml": saml(me)}, headers=auth), 403, "IdentityProviderNotAllowedOnPartnerAccount")


def test_needs_an_active_customer_account(http, auth, account):
    assert http.put(f"{ADMIN}/accounts/{account}", json={"active": False}, headers=auth).status_code == 200
    error(http.post(IDP, json={"accountId": account, "saml": saml(account)}, headers=auth), 403, "InactiveAccount")


def test_needs_account_admin(http, account):
    user = seed_client(http, account, "USER")
    error(http.get(IDP, headers=user), 403, "InsufficientPermissions")
    error(http.post(IDP, json={"saml": saml(account)}, headers=user), 403, "InsufficientPermissions")
    error(http.get(f"{IDP}/{account}", headers=user), 403, "InsufficientPermissions")


def test_other_partners_accounts_are_invisible(http, auth, account):
    create(http, auth, account)
    other = new_partner(http)
    error(http.get(f"{IDP}/{account}", headers=other), 404, "IdentityProviderNotFound")
    error(http.put(f"{IDP}/{account}", json={"active": False}, headers=other), 404, "IdentityProviderNotFound")
    error(http.delete(f"{IDP}/{account}", headers=other), 404, "IdentityProviderNotFound")
    error(http.get(IDP, params={"accountId": account}, headers=other), 404, "AccountNotFound")
    theirs = new_account(http, other, "Theirs")
    error(http.post(IDP, json={"accountId": theirs, "saml": saml(theirs)}, headers=auth), 404, "AccountNotFound")


def test_deleting_the_account_removes_its_provider(http, auth, account):
    create(http, auth, account)
    assert http.delete(f"{ADMIN}/accounts/{account}", headers=auth).status_code == 204
    error(http.get(f"{IDP}/{account}", headers=auth), 404, "IdentityProviderNotFound")


@pytest.mark.parametrize("bad", [{"id": 1}, ["an", "id"], 42, True])
def test_an_account_id_of_the_wrong_json_type_is_a_named_400_not_a_500(http, auth, account, bad):
    """Issue 19: an object as `accountId` reached SQLite as a parameter and the emulator answered 500."""
    body = error(http.post(IDP, json={"accountId": bad, "saml": saml(account)}, headers=auth), 400,
                 "ValidationError")
    assert body["message"].startswith("accountId must be a string")
    body = error(http.post(IDP, json={"accountId": account, "saml": {**saml(account), "loginUrl": [bad]}},
                           headers=auth), 400, "ValidationError")
    assert body["message"].startswith("saml.loginUrl must be a string")
