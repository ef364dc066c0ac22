"""The scan preview and the engine's preview find the same plan: the guard of fleet/steps.py.

The seeded spec-edit corpus (tests/e2e/corpus.py: every resource kind and managed field,
replacements, deletions, `(known after up)`), a customer whose change comes from the fleet file
(a profile it opts into: the scan must plan the same effective spec the program registers), plus customers that have no state yet (one
of them adopting a live account), invalid specs, and a deployed customer left alone, all
deployed by the real engine. `fleet preview` (the scan) and `fleet preview --engine` must
give the same set of (customer, status, resource, op, fields) and exit with the same code,
with and without `--expect-no-changes`; the scan writes nothing. Then `fleet up` runs the
engine only for the customers with changes or without state, and skips the one left alone.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .corpus import ADMIN, SPEC_EDITS, invalid_edits, new_customers
from testkit.fleet_project import fleet, fleet_env, make_project
from cloudlink_provider.fleet.stacks import StackFile
from cloudlink_provider.fleetfile import PROFILES_KEY, FleetFile
from .test_corpus import check, planned, write_stack

pytestmark = pytest.mark.e2e
PLACEHOLDER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def findings(report: dict[str, Any]) -> set[tuple]:
    out: set[tuple] = set()
    for s in report["stacks"]:
        out.add((s["stack"], "status", s["status"], bool(s["error"])))
        out.add((s["stack"], "counts", tuple(sorted(s["changes"].items()))))
        out.add((s["stack"], "warnings", tuple(s["warnings"])))
        for r in s["resources"]:
            out.add((s["stack"], r["name"], r["op"], tuple(sorted(f["field"] for f in r["fields"]))))
    return out


def language_profile(project, language: str) -> None:
    """The fleet file's `lang` profile (write_stack rewrites the fleet file: set it again before each run)."""
    file = FleetFile(project / "stacks")
    data = file.load()
    data["profiles"] = {**(data.get("profiles") or {}), "lang": {"spec": {"account": {"languageCode": language}}}}
    file.save(data)


def test_the_scan_preview_plans_exactly_what_the_engine_previews(tmp_path, emulator, api):
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0})
    project = make_project(tmp_path / "project", emulator.url)
    invalid = invalid_edits()
    deployed = [*SPEC_EDITS, *invalid]
    for case in deployed:
        write_stack(project, case, case.spec, emulator.url)
    layered = new_customers(seed=13)[0]  # its language comes from the fleet file's profile `lang`
    own = {**layered.spec, "account": {k: v for k, v in layered.spec["account"].items() if k != "languageCode"}}
    layered = type(layered)("layered", layered.base, own, {})
    write_stack(project, layered, layered.spec, emulator.url)
    stack_file = StackFile(project / "stacks", "layered")
    data = stack_file.load()
    data["config"][PROFILES_KEY] = ["lang"]
    stack_file.save(data)
    language_profile(project, "es-ES")
    env = fleet_env()
    out = tmp_path / "reports"
    check(fleet(project, "up", "--parallel", "4", env=env, timeout=900), 0)

    for case in deployed:
        if case.edits:
            write_stack(project, case, case.edited_spec(), emulator.url)
    fresh, adopt = new_customers()
    write_stack(project, fresh, fresh.spec, emulator.url)
    live = api.http.post(ADMIN, json={"name": adopt.spec["account"]["name"], "domain": adopt.spec["account"]["domain"]})
    assert live.status_code in (200, 201), live.text
    adopt_spec = {**adopt.spec, "account": {**adopt.spec["account"], "adoptAccountId": live.json()["accountId"]}}
    write_stack(project, adopt, adopt_spec, emulator.url)
    untouched = new_customers(seed=7)[0]  # deployed next, and then left alone
    spec = {**untouched.spec, "pbx": {**untouched.spec["pbx"], "micollabVersion": "9.5"}}  # readiness warnings
    untouched = type(untouched)("untouched", untouched.base, spec, {})
    write_stack(project, untouched, untouched.spec, emulator.url)
    language_profile(project, "ca-ES")  # the fleet file changes layered's language, nothing in its stack file
    check(fleet(project, "up", "--stacks", "untouched", env=env, timeout=600), 0)

    api.clear_journal()
    engine = fleet(project, "preview", "--engine", "--parallel", "4", "--json", str(out / "engine.json"),
                   env=env, timeout=900)
    scan = fleet(project, "preview", "--json", str(out / "scan.json"), "--markdown", str(out / "scan.md"),
                 env=env, timeout=900)
    assert engine.returncode == scan.returncode == 1, (engine.stdout[-3000:], scan.stdout[-3000:])
    engine_report, scan_report = (json.loads((out / f).read_text()) for f in ("engine.json", "scan.json"))
    assert findings(scan_report) == findings(engine_report)
    assert scan_report["mode"] == "scan" and scan_report["engineRuns"] == 0  # the scan judged every one
    assert api.writes() == []

    plan = planned(scan_report)
    for case in [*SPEC_EDITS, fresh, adopt]:
        assert plan[case.name] == case.expect, case.name
    assert plan["untouched"] == {}
    assert plan["layered"] == {"account": ("update", ("languageCode",))}  # the effective spec, as the engine
    status = {s["stack"]: s for s in scan_report["stacks"]}
    for case in invalid:
        assert status[case.name]["status"] == "failed" and status[case.name]["error"], case.name
    texts = [scan.stdout, (out / "scan.json").read_text(), (out / "scan.md").read_text()]
    assert "(known after up)" in texts[1]
    assert any("micollabVersion 9.5" in w for w in status["untouched"]["warnings"])  # readiness, as the engine
    assert all(PLACEHOLDER not in text for text in texts)

    # --expect-no-changes: changes are drift (exit 3), for both
    valid = ["--stacks", "edit-*"]
    engine = fleet(project, "preview", "--engine", "--expect-no-changes", *valid, "--json", str(out / "e3.json"),
                   env=env, timeout=900)
    scan = fleet(project, "preview", "--expect-no-changes", *valid, "--json", str(out / "s3.json"), env=env)
    assert engine.returncode == scan.returncode == 3, (engine.stdout[-3000:], scan.stdout[-3000:])
    assert findings(json.loads((out / "s3.json").read_text())) == findings(json.loads((out / "e3.json").read_text()))

    # up: the engine for the changed, the new and the failing; the untouched customer is skipped
    done = fleet(project, "up", "--parallel", "4", "--json", str(out / "up.json"), env=env, timeout=900)
    assert done.returncode == 1, done.stdout[-3000:]
    report = json.loads((out / "up.json").read_text())
    rows = {s["stack"]: s for s in report["stacks"]}
    assert report["skippedUnchanged"] == 1 and rows["untouched"]["skipped"]
    assert rows["new-mivb"]["decidedBy"] == "no state yet: the engine creates it"
    assert rows["edit-account-name"]["decidedBy"].startswith("the plan has changes: update account")
    assert rows["invalid-language"]["status"] == "failed"
    assert rows["invalid-language"]["decidedBy"] == "its plan fails: the engine reports it"
    ups = planned(report)
    for case in [*SPEC_EDITS, fresh, adopt]:
        assert {n: op for n, (op, _) in ups[case.name].items()} == {n: op for n, (op, _) in case.expect.items()}
