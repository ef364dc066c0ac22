"""The Account resource through the real engine, in the acceptance order (issue #2, 9a-g)."""

from __future__ import annotations

import pytest

from cloudlink_provider.emulator.store import DEMO_PARTNER
from testkit.secrets import assert_no_secret

pytestmark = pytest.mark.e2e

ACME = {"account": {"name": "ACME Iberia", "domain": "acme.example", "languageCode": "es-ES"}}


def test_account_lifecycle(new_stack, api):
    stack = new_stack("acme").init(ACME)

    # a. up creates the account
    stack.up()
    account_id = stack.outputs()["accountId"]
    live = api.http.get(f"/admin/2017-09-01/accounts/{account_id}").json()
    assert (live["name"], live["domain"], live["languageCode"]) == ("ACME Iberia", "acme.example", "es-ES")

    # b. a second up reports no changes and writes nothing
    api.clear_journal()
    second = stack.up()
    assert "2 unchanged" in second.stdout
    assert api.writes() == []

    # c. renaming in the spec updates in place (same id)
    stack.set_customer({"account": {**ACME["account"], "name": "ACME Iberia SL"}})
    stack.up()
    assert stack.outputs()["accountId"] == account_id
    assert api.http.get(f"/admin/2017-09-01/accounts/{account_id}").json()["name"] == "ACME Iberia SL"

    # d. a change behind Pulumi's back is reported, then undone by up --refresh
    assert api.http.put(f"/admin/2017-09-01/accounts/{account_id}", json={"domain": "evil.example"}).status_code == 200
    drift = stack.preview("--refresh", "--expect-no-changes", ok=False)
    assert drift.returncode != 0
    assert "evil.example" in drift.stdout
    stack.up("--refresh")
    assert api.http.get(f"/admin/2017-09-01/accounts/{account_id}").json()["domain"] == "acme.example"
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0

    # e. deleting it behind Pulumi's back is noticed on refresh, and up re-creates it
    assert api.http.delete(f"/admin/2017-09-01/accounts/{account_id}").status_code == 204
    assert stack.preview("--refresh", "--expect-no-changes", ok=False).returncode != 0
    stack.up("--refresh")
    recreated = stack.outputs()["accountId"]
    assert recreated != account_id
    assert api.http.get(f"/admin/2017-09-01/accounts/{recreated}").status_code == 200

    # g. no plaintext client secret anywhere in the state files
    assert_no_secret(stack.state_text(), [DEMO_PARTNER["client_secret"]], "the state")

    # f. destroy removes it
    stack.destroy()
    assert api.http.get(f"/admin/2017-09-01/accounts/{recreated}").status_code == 404


def test_invalid_spec_fails_before_any_write(new_stack, api):
    stack = new_stack("bad").init({"account": {"name": "ACME", "languageCode": "spanish", "colour": "red"}})
    api.clear_journal()
    result = stack.preview(ok=False)
    assert result.returncode != 0
    out = result.stdout + result.stderr
    assert "customer.account.languageCode" in out and "customer.account.colour (from stacks/Pulumi.bad.yaml): unknown key" in out
    assert stack.up(ok=False).returncode != 0
    assert api.journal() == []  # not even a token was requested


def test_lost_create_response_is_adopted_not_duplicated(new_stack, api):
    # The server creates the account but the response never arrives.
    api.http.post("/_emulator/faults", json={"method": "POST", "path_contains": "/accounts", "after": True,
                                            "status": 504, "remaining": 1})
    stack = new_stack("lost").init(ACME)
    stack.up()
    accounts = api.http.get("/admin/2017-09-01/accounts", params={"$filter": "name eq 'ACME Iberia'"}).json()
    assert accounts["count"] == 1
    assert stack.outputs()["accountId"] == accounts["_embedded"]["items"][0]["accountId"]
