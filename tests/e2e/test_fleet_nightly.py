"""The nightly drift job as a partner runs it (issue 19): history between runs, `--fail-on new`, triage with
`--accept`, a value that changes after it was accepted. The real CLI, the real engine, a live emulator.

Three account-only customers are deployed; then drift runs with `--history` in a folder, with
changes made in the console (the emulator's API) between runs. The scan and `--engine` must carry the
same findings.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudlink_provider.emulator.store import DEMO_PARTNER
from cloudlink_provider.fleet.findings import NO_PREVIOUS
from testkit.fleet_project import check, fleet, generated, make_project
from testkit.secrets import assert_no_secret

pytestmark = pytest.mark.e2e

ADMIN = "/admin/2017-09-01/accounts"


def findings(path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """(the report, every finding by key) of a drift report."""
    data = json.loads(path.read_text())
    out = {}
    for s in data["stacks"]:
        if "finding" in s:
            out[s["finding"]["key"]] = s["finding"]
        for r in s["resources"]:
            assert "finding" in r, f"{s['stack']}/{r['name']} has no finding"
            out[r["finding"]["key"]] = r["finding"]
    return data, out


def test_nightly_drift_with_history_fail_on_new_and_triage(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url, generated(3))
    history, out = tmp_path / "history", tmp_path / "reports"
    check(fleet(project, "up"), 0)
    ids = {a["name"]: a["accountId"] for a in api.http.get(ADMIN, params={"$top": 50}).json()["_embedded"]["items"]}

    def drift(name: str, code: int, *args: str) -> tuple[subprocess.CompletedProcess[str], dict, dict]:
        result = check(fleet(project, "drift", "--history", str(history), "--json", str(out / f"{name}.json"),
                             *args), code)
        return (result, *findings(out / f"{name}.json"))

    def console(account: str, **change: str) -> None:
        assert api.http.put(f"{ADMIN}/{ids[account]}", json=change).status_code == 200

    # night 1: a clean fleet, no previous run: the baseline
    result, data, found = drift("night1", 0, "--fail-on", "new")
    assert NO_PREVIOUS in result.stdout and data["history"]["previous"] is None and found == {}
    assert (history / "latest.json").is_file()

    # night 2: two console changes: both new, --fail-on new fails (3)
    console("Customer 002", domain="evil.example")
    console("Customer 003", languageCode="it-IT")
    result, data, found = drift("night2", 3, "--fail-on", "new")
    assert {k: f["since"] for k, f in found.items()} == {"customer-002/account/domain": "new",
                                                        "customer-003/account/languageCode": "new"}
    assert data["history"]["previous"] == json.loads((out / "night1.json").read_text())["startedAt"]
    first_seen = found["customer-002/account/domain"]["firstSeen"]

    # night 3: one is put back in the console (resolved), the other is still there: --fail-on new passes,
    # and the default (--fail-on any) still fails on it
    console("Customer 003", languageCode=generated(3)["customer-003"]["account"]["languageCode"])
    result, data, found = drift("night3", 0, "--fail-on", "new")
    assert {k: (f["since"], f["firstSeen"]) for k, f in found.items()} == {
        "customer-002/account/domain": ("still", first_seen)}
    assert [(r["key"], r["since"]) for r in data["resolved"]] == [("customer-003/account/languageCode",
                                                                   json.loads((out / "night2.json").read_text())
                                                                   ["startedAt"])]
    assert "resolved: customer-003/account/languageCode" in result.stdout
    drift("night3-any", 3)

    # the team accepts it: the reviewed file is written and the next run passes, with the finding listed apart
    result, data, found = drift("accept", 0, "--accept", "--reason", "the customer's own domain until the move",
                                "--by", "ops@partner.example", "--expires", "2099-12-31")
    accepted = yaml.safe_load((project / "stacks" / "drift-accepted.yaml").read_text())["accepted"]
    assert [(e["customer"], e["resource"], e["field"]) for e in accepted] == [("customer-002", "account", "domain")]
    result, data, found = drift("night4", 0)
    assert data["accepted"] == 1 and found["customer-002/account/domain"]["accepted"]["by"] == "ops@partner.example"
    assert "accepted drift (1), does not fail the run:" in result.stdout

    # the value changes again: no longer the accepted one, new, and it fails even with --fail-on new
    console("Customer 002", domain="worse.example")
    result, data, found = drift("night5", 3, "--fail-on", "new")
    f = found["customer-002/account/domain"]
    assert f["since"] == "new" and f["accepted"] is None and f["lapsed"].startswith(
        "the value changed since it was accepted (stacks/drift-accepted.yaml:")

    # the engine's drift check carries the same findings (the report is built from outcomes either way)
    engine = check(fleet(project, "drift", "--engine", "--json", str(out / "engine.json"), "--fail-on", "new",
                         timeout=600), 3)
    engine_data, engine_found = findings(out / "engine.json")
    assert {k: (v["fingerprint"], v["lapsed"]) for k, v in engine_found.items()} == \
        {k: (v["fingerprint"], v["lapsed"]) for k, v in found.items()}
    assert engine_data["failOn"] == "new" and engine_data["history"] == {"previous": None, "source": None}

    for text in [result.stdout, engine.stdout, (project / "stacks" / "drift-accepted.yaml").read_text(),
                 *(p.read_text() for p in history.glob("*.json"))]:
        assert_no_secret(text, [DEMO_PARTNER["client_secret"]], "the nightly drift's files")
