"""Whole-customer scenarios: every sample stack deploys, is idempotent, clean on refresh, and destroys cleanly."""

from __future__ import annotations

import re

import pytest

from testkit.samples import sample_spec_raw
from testkit.secrets import assert_no_secret

from .conftest import sample_stacks

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("name", sample_stacks())
def test_sample_customer(name, sample_stack, api):
    stack = sample_stack(name)
    stack.up()
    out = stack.outputs()
    account = api.http.get(f"/admin/2017-09-01/accounts/{out['accountId']}").json()
    assert account["name"] == out["accountName"]
    assert out["pbxStatus"] == "CONNECTED"

    api.clear_journal()
    stack.up()
    assert api.writes() == []
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0
    assert_no_secret(stack.state_text(), ["demo-partner-secret", "Pbx-Acme-2026!", "Nordwind#MX1", "Baltic.400.Pbx",
                                          "Harbour$MiVB9", "teams-app-secret-value-0001"], "the state")

    stack.destroy()
    assert api.http.get("/admin/2017-09-01/accounts").json()["count"] == 0


@pytest.mark.parametrize("name", sample_stacks())
def test_preview_of_a_new_customer_shows_every_create_and_writes_nothing(name, sample_stack, api):
    spec = sample_spec_raw(name)  # the stack file layered over stacks/fleet.yaml
    blocks = [b for b in ("account", "gateway", "pbx", "roles", "teams", "sso", "users") if spec.get(b)]
    stack = sample_stack(name)
    api.clear_journal()
    preview = stack.preview()
    assert re.search(rf"\+ {len(blocks) + 1} to create", preview.stdout), preview.stdout  # + the stack itself
    assert api.writes() == []
