"""A CloudLink refusal during `up` or `destroy` reaches the partner as one line per resource: the resource,
the operation, the API's error name and message, the correlation id; never a Python traceback."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.e2e

GW = "/gateway/2017-09-01/accounts"
ADMIN = "/admin/2017-09-01/accounts"
LINE = re.compile(r"CloudLinkRefused: Gateway create: CloudLink refused: 409 GatewayAlreadyAssociated: .+ "
                  r"\(correlation id [0-9a-zA-Z-]+\)")


def test_refusals_on_up_and_destroy_are_one_line_without_a_traceback(new_stack, api):
    # another customer already holds the serial: CloudLink refuses the gateway
    other = api.http.post(ADMIN, json={"name": "Other Co"}).json()["accountId"]
    assert api.http.post(f"{GW}/{other}/gateways", json={"serialNumber": "CLGW-TAKEN-0001", "type": "APPLIANCE",
                                                          "name": "Theirs"}).status_code == 201
    spec = {"account": {"name": "Refused Co"},
            "gateway": {"serialNumber": "CLGW-TAKEN-0001", "type": "appliance", "name": "Ours"}}
    stack = new_stack("refused").init(spec)
    failed = stack.up(ok=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert LINE.search(out), out
    assert "Traceback" not in out and 'File "' not in out and "tenacity" not in out, out

    # destroy: CloudLink refuses to delete the account (a fault standing in for a real refusal)
    api.http.post("/_emulator/faults", json={"method": "DELETE", "path_contains": "/accounts/", "status": 409})
    refused = stack.pulumi("destroy", "--yes", "--skip-preview", ok=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert re.search(r"CloudLinkRefused: Account delete: CloudLink refused: 409 \w+: fault injected by the emulator "
                     r"\(correlation id [0-9a-zA-Z-]+\)", out), out
    assert "Traceback" not in out and 'File "' not in out, out

    # the detail is one switch away
    stack.env = {**stack.env, "CLOUDLINK_DEBUG": "1"}
    debug = stack.pulumi("destroy", "--yes", "--skip-preview", ok=False)
    assert "Traceback" in debug.stdout + debug.stderr


def test_an_adopt_id_that_is_empty_or_unknown_never_creates_anything(new_stack, api):
    stack = new_stack("adopt").init({"account": {"name": "Adopt Co", "adoptAccountId": "  "},
                                     "gateway": {"serialNumber": "CLGW-ADOPT-0001", "type": "appliance",
                                                 "name": "HQ"}})
    api.clear_journal()
    empty = stack.preview(ok=False)
    assert empty.returncode != 0
    assert "customer.account.adoptAccountId: must be the id of" in empty.stdout + empty.stderr
    assert api.journal() == []  # judged before any call, not even a token

    stack.set_customer({"account": {"name": "Adopt Co", "adoptAccountId": "no-such-account"},
                        "gateway": {"serialNumber": "CLGW-ADOPT-0001", "type": "appliance", "name": "HQ"}})
    unknown = stack.up(ok=False)
    out = unknown.stdout + unknown.stderr
    assert unknown.returncode != 0
    assert "CloudLinkRefused: Account create: adoptAccountId no-such-account: no such customer account" in out, out
    assert "Traceback" not in out
    assert api.writes() == []  # nothing created: not the account, not the gateway
    assert api.http.get(ADMIN, params={"$filter": "name eq 'Adopt Co'"}).json()["count"] == 0
