"""Turning a live account into a stack spec: names, the account block, credentials."""

from __future__ import annotations

import pytest

from cloudlink_provider.client import Account
from cloudlink_provider.fleet.errors import ExitCode, FleetError
from cloudlink_provider.fleet.importer import account_block, client_config, stack_name_for
from cloudlink_provider.fleet.stacks import STACK_NAME
from cloudlink_provider.spec.customer import parse_customer


@pytest.mark.parametrize("name, stack", [("ACME Iberia", "acme-iberia"), ("Café Müller GmbH", "cafe-muller-gmbh"),
                                         ("  O'Brien & Sons, Ltd. ", "o-brien-sons-ltd"), ("株式会社", "customer")])
def test_stack_names_from_account_names(name, stack):
    assert stack_name_for(name) == stack and STACK_NAME.match(stack)


def test_the_account_block_is_a_valid_spec_that_adopts_the_account():
    live = Account(accountId="acc-1", name="Bären Apotheke", domain="baeren.example", languageCode="de-DE",
                   active=False, accountNumber="7")
    block = account_block(live)
    assert block == {"name": "Bären Apotheke", "domain": "baeren.example", "languageCode": "de-DE",
                     "active": False, "adoptAccountId": "acc-1"}
    spec = parse_customer({"account": block})
    assert spec.account.adoptAccountId == "acc-1"
    assert account_block(Account(accountId="acc-2", name="Bare")) == {"name": "Bare", "adoptAccountId": "acc-2"}


def test_missing_credentials_are_bad_usage_naming_every_missing_one():
    with pytest.raises(FleetError) as e:
        client_config("http://x", None, "")
    assert e.value.exit_code == ExitCode.USAGE
    assert "CLOUDLINK_CLIENT_ID" in str(e.value) and "CLOUDLINK_CLIENT_SECRET" in str(e.value)
    assert "CLOUDLINK_ENDPOINT" not in str(e.value)
    assert client_config("http://x", "id", "secret").client_id == "id"
