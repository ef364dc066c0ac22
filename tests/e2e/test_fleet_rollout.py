"""`fleet up` runs the engine only where the plan changes, and rolls out in waves behind a health gate.

Five account-only customers on the real engine and emulator: the first `up` runs the
engine for every one (no state yet), the second skips all five as unchanged (no API
write). Then one spec edit and one invalid spec, rolled out as a canary, two waves and
the rest: the wave holding the invalid customer fails its gate, the rollout stops there
(exit 1) with the waves' results and the resume command, and the last wave never runs.
Fixed and resumed, every customer already applied is skipped. Every bad rollout plan is
a usage error (exit 2) before anything runs.
"""

from __future__ import annotations

import json
import shlex

import pytest

from cloudlink_provider.fleet.stacks import StackFile

from testkit.fleet_project import check, fleet, fleet_env, generated, make_project

pytestmark = pytest.mark.e2e


def edit(project, name: str, change) -> None:
    file = StackFile(project / "stacks", name)
    spec = file.spec()
    change(spec)
    file.set_spec(spec)


def test_up_skips_unchanged_customers_and_a_rollout_stops_at_the_first_unhealthy_wave(tmp_path, emulator, api):
    customers = generated(5)
    project = make_project(tmp_path / "project", emulator.url, customers)
    env = fleet_env()
    out = tmp_path / "reports"

    first = check(fleet(project, "up", "--json", str(out / "first.json"), env=env), 0)
    report = json.loads((out / "first.json").read_text())
    assert report["mode"] == "scan" and report["skippedUnchanged"] == 0 and report["engineRuns"] == 5
    assert {s["decidedBy"] for s in report["stacks"]} == {"no state yet: the engine creates it"}
    assert "the engine ran for 5" in first.stdout

    api.clear_journal()
    again = check(fleet(project, "up", "--json", str(out / "again.json"), env=env), 0)
    report = json.loads((out / "again.json").read_text())
    assert report["skippedUnchanged"] == 5 and report["engineRuns"] == 0
    assert all(s["skipped"] and s["decidedBy"] == "scan" for s in report["stacks"])
    assert "5 customer(s) skipped as unchanged" in again.stdout
    assert api.writes() == []

    # bad rollout plans: usage errors, nothing applied
    edit(project, "customer-002", lambda s: s["account"].update(languageCode="it-IT"))
    api.clear_journal()
    for args, says in [(["--canary", "9"], "--canary 9 is larger than the selected fleet (5 customer(s))"),
                       (["--wave", "0%"], "between 1% and 100%"), (["--wave", "150%"], "between 1% and 100%"),
                       (["--waves-by", "wave", "--canary", "1"], "--waves-by cannot be combined"),
                       (["--waves-by", "ring"], "no selected customer carries the label 'ring'"),
                       (["--stacks", "nobody-*", "--canary", "1"], "no stack in")]:
        bad = check(fleet(project, "up", *args, env=env), 2)
        assert says in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr
    assert api.writes() == []

    # one change (002), one invalid spec (004): canary 001, wave 002, wave 003+004, rest 005
    edit(project, "customer-004", lambda s: s["account"].update(name=""))
    rollout = ["up", "--canary", "1", "--wave", "1", "--wave", "2", "--wave", "rest"]
    stopped = check(fleet(project, *rollout, "--json", str(out / "rollout.json"), "--markdown",
                          str(out / "rollout.md"), env=env), 1)
    report = json.loads((out / "rollout.json").read_text())
    waves = {w["name"]: w for w in report["rollout"]["waves"]}
    assert [w["name"] for w in report["rollout"]["waves"]] == ["canary", "wave 2 (1 customers)",
                                                               "wave 3 (2 customers)", "rest"]
    assert waves["canary"]["status"] == "passed" and waves["canary"]["skippedUnchanged"] == ["customer-001"]
    assert waves["wave 2 (1 customers)"]["status"] == "passed"
    assert waves["wave 2 (1 customers)"]["changed"] == ["customer-002"]
    assert waves["wave 3 (2 customers)"]["status"] == "failed"
    assert [f["stack"] for f in waves["wave 3 (2 customers)"]["failed"]] == ["customer-004"]
    assert waves["rest"]["status"] == "not run" and waves["rest"]["customers"] == ["customer-005"]
    assert report["rollout"]["stoppedAt"] == "wave 3 (2 customers)"
    assert "customer-005" not in {s["stack"] for s in report["stacks"]}
    resume = report["rollout"]["resume"]
    assert resume.startswith("cloudlink fleet up --canary 1 --wave 1 --wave 2 --wave rest")
    assert resume in stopped.stdout and "stopped at wave 3" in stopped.stdout
    assert "customer-004" in (out / "rollout.md").read_text()

    # fixed and resumed with the command it printed: what is applied is skipped
    edit(project, "customer-004", lambda s: s["account"].update(name=customers["customer-004"]["account"]["name"]))
    args = shlex.split(resume)[2:]
    args = args[:args.index("--project-dir")] + ["--json", str(out / "resumed.json")]
    check(fleet(project, *args, env=env), 0)
    report = json.loads((out / "resumed.json").read_text())
    assert report["skippedUnchanged"] == 5
    assert [w["status"] for w in report["rollout"]["waves"]] == ["passed"] * 4
    assert report["rollout"]["resume"] is None


def test_waves_by_label_in_label_order_and_a_missing_label_is_a_usage_error(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url, generated(3))
    env = fleet_env()
    for name, wave in (("customer-001", "2"), ("customer-002", "1")):
        file = StackFile(project / "stacks", name)
        data = file.load()
        data["config"]["cloudlink-fleet:labels"] = {"wave": wave}
        file.save(data)
    bad = check(fleet(project, "up", "--waves-by", "wave", env=env), 2)
    assert "1 selected customer(s) do not carry the label 'wave': customer-003" in bad.stderr
    assert api.writes() == []
    out = tmp_path / "waves.json"
    check(fleet(project, "up", "--waves-by", "wave", "--stacks", "customer-00[12]", "--bake", "0.1", "--json",
                str(out), env=env), 0)
    report = json.loads(out.read_text())
    assert [(w["name"], w["customers"], w["status"]) for w in report["rollout"]["waves"]] == [
        ("wave=1", ["customer-002"], "passed"), ("wave=2", ["customer-001"], "passed")]
    assert report["rollout"]["bakeSeconds"] == 0.1
