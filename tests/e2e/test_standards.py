"""Standards end to end (issue 18): the real CLI, the real engine with the policy pack, a live emulator.

- an `enforce` standard blocks `up` for the one customer that violates it, before any write, while the
  others apply;
- on a seeded fleet, the engine path (`pulumi preview --policy-pack`, as `cloudlink fleet preview` runs
  it) and `cloudlink fleet standards` report the same violations.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from cloudlink_provider.fleet.engine.env import PROJECT_ROOT
from cloudlink_provider.fleet.stacks import StackFile

from testkit.fleet_project import check, fleet, full_customers, make_project, write_imported_stacks

pytestmark = pytest.mark.e2e

ACCOUNTS = "/admin/2017-09-01/accounts"


def with_policy_pack(project: Path, standards: str) -> Path:
    shutil.copytree(PROJECT_ROOT / "policy", project / "policy", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "stacks" / "standards.yaml").write_text(standards)
    return project


def label(project: Path, name: str, labels: dict[str, str]) -> None:
    file = StackFile(project / "stacks", name)
    data = file.load()
    data["config"]["cloudlink-fleet:labels"] = labels
    file.save(data)


def test_an_enforce_standard_blocks_up_for_one_customer_while_the_others_apply(tmp_path, emulator, api):
    customers = {"gold-berlin": {"account": {"name": "Gold Berlin", "languageCode": "de-DE"}},
                 "gold-madrid": {"account": {"name": "Gold Madrid", "languageCode": "es-ES"}},
                 "plain-oslo": {"account": {"name": "Plain Oslo", "languageCode": "nb-NO"}}}
    project = with_policy_pack(make_project(tmp_path / "project", emulator.url, customers), """
rules:
  - id: gold-speaks-spanish
    title: Gold customers are served in Spanish
    mode: enforce
    select: tier=gold
    require: {account.languageCode: {matches: "es-.*"}}
""")
    label(project, "gold-berlin", {"tier": "gold"})
    label(project, "gold-madrid", {"tier": "gold"})
    api.clear_journal()
    out = tmp_path / "up.json"
    result = check(fleet(project, "up", "--json", str(out)), 1)
    stacks = {s["stack"]: s for s in json.loads(out.read_text())["stacks"]}
    assert stacks["gold-berlin"]["status"] == "failed"
    assert stacks["gold-berlin"]["error"].startswith(
        "blocked by enforce standard gold-speaks-spanish: Gold customers are served in Spanish: expected "
        "account.languageCode matches 'es-.*', found 'de-DE'")
    assert stacks["gold-berlin"]["policyViolations"] == [
        {"standard": "gold-speaks-spanish", "level": "mandatory",
         "message": "Gold customers are served in Spanish: expected account.languageCode matches 'es-.*', "
                    "found 'de-DE'"}]
    assert stacks["gold-madrid"]["status"] == stacks["plain-oslo"]["status"] == "changed"
    assert "blocked by enforce standard gold-speaks-spanish" in result.stdout
    # 0 writes for the blocked customer: its account was never created; the other two were
    writes = api.writes()
    created = [w for w in writes if w["method"] == "POST" and w["path"] == ACCOUNTS]
    assert len(created) == 2
    names = {a["name"] for a in api.http.get(ACCOUNTS).json()["_embedded"]["items"]}
    assert "Gold Berlin" not in names and {"Gold Madrid", "Plain Oslo"} <= names
    # the same verdict from the fleet's own check, which exits 5 for an enforce violation
    check(fleet(project, "standards"), 5)
    # the scan's preview (the default) hands the blocked customer to the engine, which blocks it as `up` did;
    # the two that were applied are the scan's, unchanged
    out = tmp_path / "preview.json"
    check(fleet(project, "preview", "--json", str(out)), 1)
    stacks = {s["stack"]: s for s in json.loads(out.read_text())["stacks"]}
    assert stacks["gold-berlin"]["status"] == "failed"
    assert stacks["gold-berlin"]["decidedBy"].startswith("an enforce standard is violated (gold-speaks-spanish)")
    assert stacks["gold-berlin"]["error"].startswith("blocked by enforce standard gold-speaks-spanish: ")
    assert stacks["gold-madrid"]["status"] == stacks["plain-oslo"]["status"] == "unchanged"
    assert stacks["gold-madrid"]["decidedBy"] == stacks["plain-oslo"]["decidedBy"] == "scan"


def _seeded(tmp_path: Path, emulator) -> Path:
    """Four full customers (one per PBX type, SSO with Azure AD Sync), varied so that every kind of finding
    shows: violations of built-ins and of rules, an exception that holds and one that expired."""
    customers = full_customers(4, prefix="Std")  # MX-ONE, MiVoice Business, MiVoice Office 400, MiVoice 5000
    names = sorted(customers)
    customers[names[0]]["sso"]["scim"] = False                  # sso-and-sync violated (alert)
    customers[names[1]]["pbx"]["micollabVersion"] = "9.6"     # MiVoice Business: micollab-call-history
    customers[names[2]]["sso"]["scim"] = False                  # sso-and-sync, but excepted until next year
    customers[names[3]]["gateway"]["name"] = "Riga clinic"     # gateway-names violated (report)
    root = tmp_path / "project"
    write_imported_stacks(root, customers, emulator.url)
    make_project(root, emulator.url)
    yesterday, next_year = date.today() - timedelta(days=1), date.today() + timedelta(days=365)
    with_policy_pack(root, f"""
standards:
  sso-and-sync: {{mode: alert}}
  micollab-call-history: {{mode: report}}
  teams-only-for-presence: {{mode: report}}
  sso-certificate-expiry: {{mode: alert, warnDays: 30}}
  pending-activation: {{mode: report}}
rules:
  - id: gateway-names
    title: Gateway names follow SITE N
    mode: report
    require: {{gateway.name: {{matches: "Site [0-9]+"}}}}
  - id: gold-mx-one
    title: Gold customers run MX-ONE
    mode: alert
    select: tier=gold
    require: {{pbx.type: mx-one}}
exceptions:
  - {{standard: sso-and-sync, customer: {names[2]}, reason: migrating to Azure AD Sync, expires: {next_year}}}
  - {{standard: teams-only-for-presence, select: "!presence", reason: presence pilot, expires: {yesterday}}}
""")
    label(root, names[3], {"tier": "gold"})                    # gold, but not MX-ONE
    return root


def test_the_engine_path_and_fleet_standards_report_the_same_violations(tmp_path, emulator):
    project = _seeded(tmp_path, emulator)
    preview = tmp_path / "preview.json"
    check(fleet(project, "preview", "--engine", "--json", str(preview)), 0)  # report and alert are advisory
    engine = {(s["stack"], p["standard"]) for s in json.loads(preview.read_text())["stacks"]
              for p in s["policyViolations"]}
    # the scan's preview (the default) gives the policy pack's findings too, worded as the engine words them
    scanned = tmp_path / "scanned.json"
    check(fleet(project, "preview", "--json", str(scanned)), 0)
    by_engine = {(s["stack"], p["standard"], p["level"], p["message"]) for s in json.loads(preview.read_text())["stacks"]
                 for p in s["policyViolations"]}
    by_scan = {(s["stack"], p["standard"], p["level"], p["message"]) for s in json.loads(scanned.read_text())["stacks"]
               for p in s["policyViolations"]}
    assert by_scan == by_engine
    assert all(s["decidedBy"] == "scan" for s in json.loads(scanned.read_text())["stacks"])

    standards = tmp_path / "standards.json"
    check(fleet(project, "standards", "--json", str(standards)), 5)
    data: dict[str, Any] = json.loads(standards.read_text())
    fleet_view = {(c["customer"], f["standard"]) for c in data["customers"] for f in c["findings"]
                  if f["status"] in ("violates", "exception-expired")}
    names = sorted(c["customer"] for c in data["customers"])
    expected = {(names[0], "sso-and-sync"), (names[1], "micollab-call-history"),
                (names[3], "gateway-names"), (names[3], "gold-mx-one"),
                # Teams on the MiVoice Business and MiVoice Office 400 customers: the pilot's exception expired
                (names[1], "teams-only-for-presence"), (names[2], "teams-only-for-presence")}
    assert fleet_view == expected
    assert engine == fleet_view
    by_name = {c["customer"]: c for c in data["customers"]}
    excepted = [f for f in by_name[names[2]]["findings"] if f["standard"] == "sso-and-sync"]
    assert excepted[0]["status"] == "excepted"
    expired = [f for f in by_name[names[1]]["findings"] if f["standard"] == "teams-only-for-presence"]
    assert expired[0]["status"] == "exception-expired" and expired[0]["exception"]["reason"] == "presence pilot"
    # the drift scan reports the same standards beside drift (nothing is deployed: every customer drifts)
    drift = tmp_path / "drift.json"
    check(fleet(project, "drift", "--json", str(drift)), 3)
    beside = json.loads(drift.read_text())["standards"]
    assert {(c["customer"], f["standard"]) for c in beside["customers"] for f in c["findings"]
            if f["status"] in ("violates", "exception-expired")} == fleet_view
    tally = {s["id"]: (s["follow"], s["of"]) for s in data["standards"]}
    assert tally["sso-and-sync"] == (3, 4) and tally["gateway-names"] == (3, 4)
    assert tally["pending-activation"] == (0, 0)  # no customer onboards users with the welcome email
