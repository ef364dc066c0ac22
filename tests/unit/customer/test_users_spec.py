"""The `users` block: its shape, its rules against the pbx and sso blocks, the SSO advisory, the moved key."""

from __future__ import annotations

import pytest

from cloudlink_provider.customer.model import SpecError, parse_customer
from cloudlink_provider.customer.rules import PBX_MODELS
from cloudlink_provider.customer.users import users_warnings

GATEWAY = {"serialNumber": "CLGW-7F3A-0001", "type": "appliance", "name": "HQ"}
CERT = ("-----BEGIN CERTIFICATE-----\n" + "MIIB" + "A" * 120 + "\n-----END CERTIFICATE-----\n")


def pbx(kind: str = "mivoice-business") -> dict:
    return {"type": kind, "host": "pbx.example", "port": 443, "username": "cl"}


def sso(scim: bool) -> dict:
    return {"issuerId": "https://sts.windows.net/x/", "loginUrl": "https://login.example/saml2",
            "certificate": CERT, "scim": scim}


def spec(**blocks) -> dict:
    return {"account": {"name": "ACME"}, **blocks}


def problems(data: dict) -> list[str]:
    with pytest.raises(SpecError) as e:
        parse_customer(data)
    return e.value.problems


def with_pbx(users: dict, kind: str = "mivoice-business", **more) -> dict:
    return spec(gateway=GATEWAY, pbx=pbx(kind), users=users, **more)


def test_defaults_onboard_every_directory_user_with_mitel_assistant_and_the_welcome_email():
    users = parse_customer(with_pbx({})).users
    assert (users.source, users.extensions, users.application) == ("pbx-directory", "all", "mitel-assistant")
    assert users.sends_welcome_email
    assert not parse_customer(with_pbx({"welcomeEmail": False})).users.sends_welcome_email


def test_listed_extensions_are_kept_in_order():
    assert parse_customer(with_pbx({"extensions": ["2001", "2000"]})).users.extensions == ["2001", "2000"]


@pytest.mark.parametrize("extensions,expected", [
    (["20a1"], "customer.users.extensions[0]: '20a1' is not a PBX extension (1 to 15 digits, * or #)"),
    (["2001", "2001"], "customer.users.extensions[1]: extension 2001 is listed twice"),
    ([], "customer.users.extensions: list at least one extension, or write `all` for every PBX directory user"),
])
def test_bad_extension_lists_name_the_entry_and_the_rule(extensions, expected):
    assert problems(with_pbx({"extensions": extensions})) == [expected]


def test_unknown_application_and_keys_are_rejected():
    assert problems(with_pbx({"application": "teams"}))[0].startswith(
        "customer.users.application: 'teams' is not one of 'mitel-assistant' or 'mitel-one'")
    assert problems(with_pbx({"welcome": True})) == [
        "customer.users.welcome: unknown key (check the spelling; keys are camelCase)"]


@pytest.mark.parametrize("kind", sorted(PBX_MODELS))
def test_more_listed_users_than_the_pbx_capacity_is_rejected(kind):
    limit = PBX_MODELS[kind].max_users
    parse_customer(with_pbx({"extensions": [str(10000 + i) for i in range(limit)]}, kind))
    assert problems(with_pbx({"extensions": [str(10000 + i) for i in range(limit + 1)]}, kind)) == [
        f"customer.users.extensions: {limit + 1} users exceed the {PBX_MODELS[kind].title} capacity of {limit}"]


def test_onboarding_from_the_pbx_needs_a_pbx():
    assert problems(spec(users={})) == [
        "customer.users: onboarding users from the PBX directory needs gateway and pbx blocks"]


def test_onboarding_from_the_pbx_while_azure_ad_sync_owns_the_users_is_rejected():
    assert problems(with_pbx({}, sso=sso(scim=True))) == [
        "customer.users.source: Azure AD Sync owns this customer's users (sso.scim is on), so onboarding them "
        "from the PBX too would make them twice; use source azure-ad-sync"]


def test_azure_ad_sync_source_needs_sync_on_and_takes_no_selection_or_email():
    assert parse_customer(spec(sso=sso(scim=True), users={"source": "azure-ad-sync"})).users.sends_welcome_email \
        is False
    assert problems(spec(sso=sso(scim=False), users={"source": "azure-ad-sync"})) == [
        "customer.users.source: azure-ad-sync needs Azure AD Sync on (an sso block with scim: true)"]
    assert problems(spec(sso=sso(scim=True), users={"source": "azure-ad-sync", "extensions": ["2001"]}))[0] \
        .startswith("customer.users.extensions: with azure-ad-sync, Azure AD decides")
    assert problems(spec(sso=sso(scim=True), users={"source": "azure-ad-sync", "welcomeEmail": True}))[0] \
        .startswith("customer.users.welcomeEmail: Azure AD Sync users sign in with Azure AD single sign-on")


def test_sso_makes_the_welcome_email_unnecessary_a_warning_not_an_error():
    with_sso = parse_customer(with_pbx({}, sso=sso(scim=False)))
    assert users_warnings(with_sso.users, with_sso.sso) == [
        "customer.users.welcomeEmail: single sign-on is set up (sso block), so users sign in with their Azure AD "
        "credentials and need no CloudLink password; the welcome email is unnecessary (set welcomeEmail: false "
        "to send none)"]
    quiet = parse_customer(with_pbx({"welcomeEmail": False}, sso=sso(scim=False)))
    assert users_warnings(quiet.users, quiet.sso) == []
    no_sso = parse_customer(with_pbx({}))
    assert users_warnings(no_sso.users, no_sso.sso) == []


@pytest.mark.parametrize("value", [True, False])
def test_the_old_top_level_welcome_email_says_where_it_moved(value):
    assert problems(spec(welcomeEmail=value)) == [
        "customer.welcomeEmail: moved into the users block; write `users: {welcomeEmail: true}` to onboard every "
        "PBX directory user and send each the welcome email (or `users: {extensions: [\"2001\", ...], "
        "welcomeEmail: true}` for some of them), or remove the key"]


@pytest.mark.parametrize("users,expected", [
    ({"extensions": "some"}, ["customer.users.extensions: 'some' is not 'all' or a list"]),
    ({"extensions": ["2001", 2002]}, ["customer.users.extensions[1]: expected text, found a number"]),
    ("all", ["customer.users: expected a block of keys (key: value), found text"]),
    (["2001"], ["customer.users: expected a block of keys (key: value), found a list"]),
])
def test_messages_show_no_library_union_tags_or_class_names(users, expected):
    """Issue 19: `customer.users.extensions.literal['all']: 'some' is not one of 'all'` and `Input should be a
    valid dictionary or instance of UsersSpec` showed pydantic's internals; the partner sees the spec's words."""
    lines = problems(with_pbx(users) if isinstance(users, dict) else {**with_pbx({}), "users": users})
    assert lines == expected
    for line in lines:
        assert "literal[" not in line and "list[str]" not in line and "Spec" not in line and "Input should" not in line
