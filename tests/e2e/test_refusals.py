"""A CloudLink refusal during `up` or `destroy`, run the way the engine runs the providers (the real `pulumi`
against the emulator): the provider makes one line per resource (the resource, the operation, the API's error
name and message, the correlation id); the partner's `cloudlink` CLI shows exactly that line, with no Python
traceback, module path or local path; `--debug` (or CLOUDLINK_DEBUG=1) gives the detail."""

from __future__ import annotations

import json
import re

import pytest

from testkit.fleet_project import fleet, make_project

pytestmark = pytest.mark.e2e

GW = "/gateway/2017-09-01/accounts"
ADMIN = "/admin/2017-09-01/accounts"
REFUSAL = (r"Gateway create: CloudLink refused: 409 GatewayAlreadyAssociated: gateway CLGW-TAKEN-0001 is already "
           r"associated with another account \(correlation id [0-9a-zA-Z-]+\)")
# Python's frames, module paths and local paths: what never reaches the partner without --debug
INTERNALS = re.compile(r"Traceback|File \"|cloudlink_provider\.|site-packages|tenacity|httpx|/tmp/|/work/|\.py\b")


def taken_serial(api) -> dict:
    """Another customer already holds the serial: CloudLink refuses the gateway."""
    other = api.http.post(ADMIN, json={"name": "Other Co"}).json()["accountId"]
    assert api.http.post(f"{GW}/{other}/gateways", json={"serialNumber": "CLGW-TAKEN-0001", "type": "APPLIANCE",
                                                          "name": "Theirs"}).status_code == 201
    return {"account": {"name": "Refused Co"},
            "gateway": {"serialNumber": "CLGW-TAKEN-0001", "type": "appliance", "name": "Ours"}}


def test_the_partner_sees_one_line_and_debug_gives_the_detail(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url, {"refused": taken_serial(api)})
    result = fleet(project, "up", "--json", str(tmp_path / "up.json"), "--markdown", str(tmp_path / "up.md"))
    shown = result.stdout + result.stderr
    assert result.returncode == 1, shown
    [row] = json.loads((tmp_path / "up.json").read_text())["stacks"]
    first, *advice = row["error"].splitlines()
    assert re.fullmatch(r"gateway \(cloudlink:Gateway\) create failed: CloudLink refused: " + REFUSAL.split(
        "CloudLink refused: ", 1)[1], first), row["error"]
    assert advice == ["what to do: another account holds this gateway serial: check gateway.serialNumber"]
    assert "✗ refused: failed - gateway (cloudlink:Gateway) create failed: CloudLink refused: 409 " \
           "GatewayAlreadyAssociated" in result.stdout, shown
    markdown = [ln for ln in (tmp_path / "up.md").read_text().splitlines() if "file://" not in ln]  # the backend
    for text in (shown, json.dumps(row), "\n".join(markdown)):
        assert not INTERNALS.search(text), text

    debug = fleet(project, "up", "--debug", "--json", str(tmp_path / "debug.json"))
    assert debug.returncode == 1
    [row] = json.loads((tmp_path / "debug.json").read_text())["stacks"]
    detail = row.get("errorDetail") or ""
    assert "Traceback" in detail and "direct cause" in detail and re.search(REFUSAL, detail), row


def test_the_engine_receives_the_refusal_as_the_providers_one_line(new_stack, api):
    stack = new_stack("refused").init(taken_serial(api))
    failed = stack.up(ok=False)
    out = failed.stdout + failed.stderr
    assert failed.returncode != 0
    assert re.search(r"CloudLinkRefused: " + REFUSAL + "\n", out), out  # the line the provider made, whole
    assert "tenacity" not in out and "httpx" not in out and "During handling" not in out, out  # no cause chain

    # destroy: CloudLink refuses to delete the account (a fault standing in for a real refusal)
    api.http.post("/_emulator/faults", json={"method": "DELETE", "path_contains": "/accounts/", "status": 409})
    refused = stack.pulumi("destroy", "--yes", "--skip-preview", ok=False)
    out = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert re.search(r"CloudLinkRefused: Account delete: CloudLink refused: 409 \w+: fault injected by the emulator "
                     r"\(correlation id [0-9a-zA-Z-]+\)", out), out
    assert "During handling" not in out and "direct cause" not in out, out

    # the detail is one switch away: the API error the refusal came from, chained
    stack.env = {**stack.env, "CLOUDLINK_DEBUG": "1"}
    debug = stack.pulumi("destroy", "--yes", "--skip-preview", ok=False)
    assert "direct cause of the following exception" in debug.stdout + debug.stderr


def test_an_adopt_id_that_is_empty_or_unknown_never_creates_anything(new_stack, api):
    stack = new_stack("adopt").init({"account": {"name": "Adopt Co", "adoptAccountId": "  "},
                                     "gateway": {"serialNumber": "CLGW-ADOPT-0001", "type": "appliance",
                                                 "name": "HQ"}})
    api.clear_journal()
    empty = stack.preview(ok=False)
    assert empty.returncode != 0
    assert "customer.account.adoptAccountId (from stacks/Pulumi.adopt.yaml): must be the id of" in empty.stdout + empty.stderr
    assert api.journal() == []  # judged before any call, not even a token

    stack.set_customer({"account": {"name": "Adopt Co", "adoptAccountId": "no-such-account"},
                        "gateway": {"serialNumber": "CLGW-ADOPT-0001", "type": "appliance", "name": "HQ"}})
    unknown = stack.up(ok=False)
    out = unknown.stdout + unknown.stderr
    assert unknown.returncode != 0
    assert "CloudLinkRefused: Account create: adoptAccountId no-such-account: no such customer account" in out, out
    assert api.writes() == []  # nothing created: not the account, not the gateway
    assert api.http.get(ADMIN, params={"$filter": "name eq 'Adopt Co'"}).json()["count"] == 0
