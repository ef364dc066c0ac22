"""The engine only where the scan finds a change, the health gate's verdict, and the wave loop (scan and
engine replaced by fakes: the real ones run in tests/e2e/test_fleet_rollout.py and test_fleet_preview.py)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from cloudlink_provider.fleet.commands import gate, selective, waves
from cloudlink_provider.fleet.scan import loop as scan_loop
from cloudlink_provider.fleet.events import ResourceChange
from cloudlink_provider.fleet.report import CHANGED, DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome
from cloudlink_provider.fleet.commands.rollout import rollout_plan
from cloudlink_provider.fleet.commands.run import RunOptions
from cloudlink_provider.fleet.scan.preview import cannot_judge, step_op


def change(op: str, name: str) -> ResourceChange:
    return ResourceChange(f"urn:{name}", f"cloudlink:{name.title()}", name, op)


class FakeEngine:
    """runner.Fleet's place: records which customers it ran, and changes each one."""
    ran: list[list[str]] = []

    def __init__(self, project, listener=None):
        pass

    def run(self, names, options, unusable=None):
        FakeEngine.ran.append(list(names))
        return FleetReport(options.operation, "file:///s", [StackOutcome(n, CHANGED, {"update": 1}) for n in names])


@pytest.fixture(autouse=True)
def reachable(monkeypatch):
    """The connectivity preflight (preflight.py) finds every customer's CloudLink usable, unless a test says."""
    problems: dict = {}
    monkeypatch.setattr(selective, "check_connectivity", lambda project, names: problems)
    return problems


@pytest.fixture
def engine(monkeypatch):
    FakeEngine.ran = []
    monkeypatch.setattr(selective, "Fleet", FakeEngine)
    return FakeEngine


def scanned(monkeypatch, outcomes: list[StackOutcome], seen: dict | None = None):
    def scan(project, names, listener=None, parallel=None, shard=None, refresh=False, operation="preview",
             expect_no_changes=False, for_up=False, observe=None, policy_pack=False, unusable=None):
        if seen is not None:
            seen.update(refresh=refresh, for_up=for_up, operation=operation, policy_pack=policy_pack)
        return FleetReport(operation, "file:///s", [o for o in outcomes if o.stack in names])
    monkeypatch.setattr(selective, "scan", scan)


def test_a_customer_that_cannot_reach_cloudlink_fails_in_preview_and_up_and_no_engine_runs_for_it(
        monkeypatch, engine, reachable):
    from cloudlink_provider.fleet.preflight import Problem

    message = ("cannot use CloudLink at http://10.0.0.9:8787 as client p: connection refused; nothing was planned "
               "or saved. Check cloudlink:endpoint in stacks/Pulumi.b-broken.yaml")
    reachable["b-broken"] = Problem("b-broken", message)
    broken = StackOutcome("b-broken", FAILED, error=message)  # the scan's row for it (Scanner.unusable)
    judged_out = StackOutcome("c-pending", UNCHANGED, cannot_judge="pending operations left by an interrupted run")
    seen: dict = {}
    scanned(monkeypatch, [StackOutcome("a-same", UNCHANGED, {"same": 3}), broken, judged_out], seen)
    names = ["a-same", "b-broken", "c-pending"]
    report = selective.selective_up(SimpleNamespace(), names, RunOptions("up"))
    assert engine.ran == [["c-pending"]]
    assert {s.stack: s.status for s in report.stacks}["b-broken"] == FAILED and report.exit_code == 1
    assert [s.error for s in report.stacks if s.stack == "b-broken"] == [message]
    engine.ran = []
    report = selective.scan_preview(SimpleNamespace(), names, RunOptions("preview"))
    assert engine.ran == [["c-pending"]] and report.exit_code == 1


def test_up_runs_the_engine_only_for_changes_failures_and_customers_the_scan_cannot_judge(monkeypatch, engine):
    judged_out = StackOutcome("d-pending", UNCHANGED, cannot_judge="pending operations left by an interrupted run")
    seen: dict = {}
    scanned(monkeypatch, [StackOutcome("a-same", UNCHANGED, {"same": 3}),
                          StackOutcome("b-changed", CHANGED, {"update": 1}, [change("update", "gateway")]),
                          StackOutcome("c-invalid", FAILED, error="account.name: too short"), judged_out,
                          StackOutcome("e-same", UNCHANGED, {"same": 3})], seen)
    names = ["a-same", "b-changed", "c-invalid", "d-pending", "e-same"]
    report = selective.selective_up(SimpleNamespace(), names, RunOptions("up"))
    assert engine.ran == [["b-changed", "c-invalid", "d-pending"]]
    assert seen == {"refresh": False, "for_up": True, "operation": "preview",
                    "policy_pack": True}  # the standards' policy pack mirrored, as the engine would run it
    rows = {s.stack: s for s in report.stacks}
    assert [s.stack for s in report.stacks] == names
    assert report.skipped_unchanged == 2 and rows["a-same"].skipped and rows["a-same"].engine == "scan"
    assert rows["b-changed"].engine == "the plan has changes: update gateway" and not rows["b-changed"].skipped
    assert rows["c-invalid"].engine == "its plan fails: the engine reports it"
    assert rows["d-pending"].engine == "pending operations left by an interrupted run"
    data = report.to_json()
    assert data["skippedUnchanged"] == 2 and data["engineRuns"] == 3 and data["mode"] == "scan"


def test_up_all_runs_the_engine_everywhere_without_a_scan(monkeypatch, engine):
    monkeypatch.setattr(selective, "scan", lambda *a, **k: pytest.fail("--all must not scan"))
    report = selective.selective_up(SimpleNamespace(), ["a", "b"], RunOptions("up"), force_all=True)
    assert engine.ran == [["a", "b"]] and report.skipped_unchanged == 0
    assert {s.engine for s in report.stacks} == {selective.ALL}


def test_the_scan_preview_hands_only_what_it_cannot_judge_to_the_engine(monkeypatch, engine):
    scanned(monkeypatch, [StackOutcome("a", CHANGED, {"update": 1}, [change("update", "account")]),
                          StackOutcome("b", FAILED, error="x", cannot_judge="the scan could not judge it: x"),
                          StackOutcome("c", FAILED, error="check failed")])
    report = selective.scan_preview(SimpleNamespace(), ["a", "b", "c"], RunOptions("preview"))
    assert engine.ran == [["b"]]
    rows = {s.stack: s for s in report.stacks}
    assert rows["a"].engine == "scan" and rows["c"].engine == "scan" and rows["c"].status == FAILED
    assert rows["b"].engine == "the scan could not judge it: x" and rows["b"].status == CHANGED


def test_nothing_judged_nothing_run(monkeypatch, engine):
    scanned(monkeypatch, [StackOutcome("a", UNCHANGED)])
    report = selective.scan_preview(SimpleNamespace(), ["a"], RunOptions("preview"))
    assert engine.ran == [] and report.stacks[0].engine == "scan"


def test_step_rules_and_what_the_scan_cannot_judge():
    assert step_op(False, [], {}, {}) == "same"
    assert step_op(True, ["type"], {}, {}) == "replace"
    assert step_op(True, [], {}, {}) == "update"
    assert step_op(None, None, {"a": 1, "__provider": "x"}, {"a": 1, "__provider": "y"}) == "same"
    assert step_op(None, None, {"a": 1}, {"a": 2}) == "update"
    state = SimpleNamespace(resources=[object()], pending_operations=[])
    assert cannot_judge(None, [], for_up=False) is None
    assert cannot_judge(None, [], for_up=True) == "no state yet: the engine creates it"
    assert cannot_judge(SimpleNamespace(resources=[], pending_operations=[]), [], True).startswith("no state yet")
    assert cannot_judge(state, [], True) is None
    assert cannot_judge(state, ["cloudlink:endpoint"], False) == \
        "the provider configuration changed (cloudlink:endpoint)"
    pending = SimpleNamespace(resources=[object()], pending_operations=[{"type": "creating"}])
    assert cannot_judge(pending, [], False) == "pending operations left by an interrupted run (creating)"
    saved = SimpleNamespace(resources=[object()], pending_operations=[], stack_outputs=lambda: {"accountId": "a"})
    assert cannot_judge(saved, [], True, {"accountId"}) is None
    assert cannot_judge(saved, [], False, {"accountId", "gatewayId"}) is None  # a preview shows resource steps only
    assert cannot_judge(saved, [], True, {"accountId", "gatewayId"}) == \
        "the stack's saved outputs are not the program's (gatewayId)"


# -- the health gate ---------------------------------------------------------------------------------------
def test_the_gate_fails_a_customer_that_failed_drifted_or_whose_pbx_link_is_not_connected(monkeypatch):
    def scan(project, names, listener=None, parallel=None, refresh=False, operation="preview", observe=None, **_):
        assert refresh and operation == "drift" and "failed-up" not in names
        observe("link-down", "pbx", "pulumi-python:dynamic/cloudlink:PbxConnection", {"status": "FAILED"})
        observe("healthy", "pbx", "pulumi-python:dynamic/cloudlink:PbxConnection", {"status": "CONNECTED"})
        observe("healthy", "account", "pulumi-python:dynamic/cloudlink:Account", {"status": "whatever"})
        return FleetReport("drift", "file:///s", [
            StackOutcome("healthy", UNCHANGED), StackOutcome("link-down", UNCHANGED),
            StackOutcome("drifted", DRIFTED, resources=[change("update", "account")]),
            StackOutcome("unreadable", FAILED, error="account (cloudlink:Account) refresh: 500 ServerError")])
    monkeypatch.setattr(scan_loop, "scan", scan)
    applied = FleetReport("up", "file:///s", [StackOutcome("failed-up", FAILED, error="gateway create failed: 409")])
    names = ["healthy", "link-down", "drifted", "unreadable", "failed-up"]
    problems, interrupted = gate.health_gate(SimpleNamespace(), names, applied)
    assert not interrupted
    assert problems == {"failed-up": "up failed: gateway create failed: 409",
                        "link-down": "PBX link not connected: pbx is FAILED",
                        "drifted": "drift after up: update account",
                        "unreadable": "the health check could not read it: account (cloudlink:Account) refresh: "
                                      "500 ServerError"}


# -- the wave loop ------------------------------------------------------------------------------------------
def test_waves_stop_at_the_first_failing_gate_bake_between_waves_and_say_how_to_resume(monkeypatch):
    names = [f"c{i}" for i in range(1, 7)]
    plan = rollout_plan(names, {}, canary=1, waves=["2", "2", "rest"], bake_s=5)
    ran: list[list[str]] = []

    def up(project, wave, options, listener=None, force_all=False, scan_parallel=None):
        ran.append(wave)
        return FleetReport("up", "file:///s", [StackOutcome(n, CHANGED if n == "c2" else UNCHANGED, skipped=n != "c2",
                                                            engine="scan") for n in wave])

    def health(project, wave, applied, listener=None, parallel=None):
        return ({"c5": "drift after up: update account"} if "c5" in wave else {}), False

    monkeypatch.setattr(selective, "selective_up", up)
    monkeypatch.setattr(gate, "health_gate", health)
    slept: list[float] = []
    report = waves.run_rollout(SimpleNamespace(), plan, RunOptions("up"), "cloudlink fleet up --canary 1",
                               sleep=slept.append)
    assert ran == [["c1"], ["c2", "c3"], ["c4", "c5"]] and slept == [5, 5]
    result = report.rollout
    assert [w.status for w in result.waves] == ["passed", "passed", "failed", "not run"]
    assert result.waves[1].changed == ["c2"] and result.waves[1].skipped == ["c3"]
    assert result.waves[2].failed == {"c5": "drift after up: update account"}
    assert report.exit_code == 1 and result.failed
    data = report.to_json()["rollout"]
    assert data["stoppedAt"] == "wave 3 (2 customers)" and data["resume"] == "cloudlink fleet up --canary 1"
    assert [s.stack for s in report.stacks] == ["c1", "c2", "c3", "c4", "c5"]
    lines = "\n".join(result.lines())
    assert "rest: not run (1 customer(s))" in lines and "c5: drift after up: update account" in lines
    assert "resume (applied customers are skipped as unchanged): cloudlink fleet up --canary 1" in lines


def test_a_rollout_whose_waves_all_pass_exits_0_and_has_no_resume(monkeypatch):
    plan = rollout_plan(["a", "b"], {}, canary=1)
    monkeypatch.setattr(selective, "selective_up", lambda p, wave, *a, **k: FleetReport(
        "up", "file:///s", [StackOutcome(n, UNCHANGED) for n in wave]))
    monkeypatch.setattr(gate, "health_gate", lambda *a, **k: ({}, False))
    report = waves.run_rollout(SimpleNamespace(), plan, RunOptions("up"), "cloudlink fleet up --canary 1",
                               sleep=lambda s: pytest.fail("no bake asked"))
    assert report.exit_code == 0 and report.to_json()["rollout"]["resume"] is None


# -- what a partner reads -------------------------------------------------------------------------------------
def test_a_large_fleet_prints_a_plain_table_with_every_customer_and_the_engine_and_rollout_lines():
    import io

    from rich.console import Console

    from cloudlink_provider.fleet.events import FieldChange
    from cloudlink_provider.fleet.render.view import PLAIN_ROWS, FleetView

    stacks = [StackOutcome(f"c{i:04d}", UNCHANGED, {"same": 5}, engine="scan", skipped=True)
              for i in range(PLAIN_ROWS)]
    gateway = ResourceChange("urn:g", "cloudlink:Gateway", "gateway", "update", [FieldChange("name", "A", "B [x]")])
    stacks += [StackOutcome("zz-changed", CHANGED, {"update": 1, "same": 4}, [gateway],
                            engine="the plan has changes: update gateway"),
               StackOutcome("zz-failed", FAILED, error="account: [bold]bad[/bold]\nsecond line", engine="scan")]
    report = FleetReport("up", "file:///s", stacks, mode="scan")
    report.rollout = waves.RolloutResult(rollout_plan([s.stack for s in stacks], {}, canary=1),
                                         [waves.WaveResult("canary", ["c0000"], "passed", skipped=["c0000"]),
                                          waves.WaveResult("rest", [s.stack for s in stacks[1:]], "failed",
                                                           failed={"zz-failed": "up failed: account"})],
                                         "cloudlink fleet up --canary 1")
    out = Console(file=io.StringIO(), width=120, force_terminal=False, color_system=None)
    FleetView(out, [s.stack for s in stacks], "up", 4).print_report(report)
    text = out.file.getvalue()
    assert "\nc0099       unchanged" in text and "\nzz-failed   failed" in text
    assert "account: [bold]bad[/bold] / second line" in text  # literally, both lines
    assert 'gateway (cloudlink:Gateway): update name "A" -> "B [x]"' in text
    assert "100 customer(s) skipped as unchanged (the scan planned nothing); the engine ran for 1:" in text
    assert "  zz-changed: the plan has changes: update gateway" in text
    assert "rest: failed - 101 customer(s), 0 changed, 0 skipped unchanged, 1 failed the gate" in text
    assert "stopped at rest; fix it, then resume (applied customers are skipped as unchanged): " \
           "cloudlink fleet up --canary 1" in text
    assert text.rstrip().endswith("exit code 1 (0.0s)")
