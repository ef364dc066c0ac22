"""Account provider logic without the engine: check names fields, diff reads the declared fields."""

from __future__ import annotations

import pytest

from cloudlink_provider.client import ClientConfig
from cloudlink_provider.resources import credentials_from_config
from cloudlink_provider.resources._base import UNKNOWN
from cloudlink_provider.resources.account import AccountProvider

OLD = {"name": "ACME", "domain": "acme.example", "languageCode": "es-ES", "active": True, "adoptAccountId": None,
       "accountId": "a-1", "accountNumber": "7", "partnerId": "p-1", "__provider": "x"}


def test_check_names_each_bad_field():
    result = AccountProvider().check({}, {"name": "", "languageCode": "spanish", "__provider": "x"})
    failures = {f.property: f.reason for f in result.failures}
    assert set(failures) == {"name", "languageCode"}
    assert failures["languageCode"].startswith("languageCode: 'spanish' is not a language tag like en-GB")
    assert "^" not in failures["languageCode"]  # words, never the regular expression


def test_check_does_not_judge_values_unknown_at_preview():
    assert AccountProvider().check({}, {"name": UNKNOWN, "__provider": "x"}).failures == []


def test_diff_ignores_outputs_and_provider_blob():
    news = {k: OLD[k] for k in ("name", "domain", "languageCode", "active", "adoptAccountId")}
    news["__provider"] = "changed-code"
    assert AccountProvider().diff("a-1", OLD, news).changes is False


def test_diff_updates_in_place():
    news = {**OLD, "name": "ACME SL"}
    result = AccountProvider().diff("a-1", OLD, news)
    assert result.changes is True and result.replaces == []


def test_credentials_from_stack_config_then_environment(monkeypatch):
    config = {"cloudlink:endpoint": "http://x", "cloudlink:clientId": "id", "cloudlink:clientSecret": "s"}
    assert credentials_from_config(config) == ClientConfig("http://x", "id", "s")
    monkeypatch.setenv("CLOUDLINK_CLIENT_SECRET", "from-env")
    assert credentials_from_config({**config, "cloudlink:clientSecret": None}, fleet={}).client_secret == "from-env"
    monkeypatch.delenv("CLOUDLINK_CLIENT_SECRET")
    with pytest.raises(ValueError, match="cloudlink:clientSecret"):
        credentials_from_config({**config, "cloudlink:clientSecret": None}, fleet={})


def test_credentials_take_what_the_stack_lacks_from_the_fleet_file(monkeypatch):
    monkeypatch.setenv("CLOUDLINK_CLIENT_SECRET", "from-env")
    fleet = {"cloudlink:endpoint": "http://fleet", "cloudlink:clientId": "fleet-id", "cloudlink:clientSecret": "fs"}
    assert credentials_from_config({"cloudlink:endpoint": "http://mine"}, fleet=fleet) == ClientConfig(
        "http://mine", "fleet-id", "fs")
    assert credentials_from_config({}, fleet={"cloudlink:endpoint": "http://fleet", "cloudlink:clientId": "i"}
                                   ).client_secret == "from-env"  # stack config, then the fleet file, then the env


@pytest.mark.parametrize("endpoint,service,expected", [
    ("http://127.0.0.1:8787", "admin", "http://127.0.0.1:8787/admin/2017-09-01"),
    ("https://{service}.api.mitel.io/2017-09-01", "authentication",
     "https://authentication.api.mitel.io/2017-09-01"),
    ("https://{service}.eu.api.mitel.io/2017-09-01/", "admin", "https://admin.eu.api.mitel.io/2017-09-01"),
])
def test_one_base_url_per_service(endpoint, service, expected):
    assert ClientConfig(endpoint, "id", "s").base_url(service) == expected


def test_a_service_url_can_be_overridden_alone():
    config = ClientConfig("http://emu", "id", "s", service_urls={"gateway": "https://gw.partner.example/v1/"})
    assert config.base_url("gateway") == "https://gw.partner.example/v1"
    assert config.base_url("admin") == "http://emu/admin/2017-09-01"


def test_check_skips_fields_unknown_at_preview_in_either_form():
    from pulumi.output import Unknown

    from cloudlink_provider.resources.gateway import GatewayProvider
    news = {"serialNumber": "CLGW-0001", "type": "appliance", "name": "HQ", "__provider": "x"}
    assert GatewayProvider().check({}, {**news, "accountId": Unknown()}).failures == []
    assert GatewayProvider().check({}, {**news, "accountId": UNKNOWN}).failures == []
    [failure] = GatewayProvider().check({}, {**news, "accountId": Unknown(), "type": "hardware"}).failures
    assert failure.property == "type"
