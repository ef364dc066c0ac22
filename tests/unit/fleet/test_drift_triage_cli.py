"""`fleet drift` with triage and history through the CLI: --accept writes the reviewed file, a bad file stops the
run before anything is checked, --history keeps runs and --fail-on new fails only on what is new. The drift
itself is a fake (the e2e test tests/e2e/test_fleet_nightly.py runs the real one)."""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone

import pytest
import yaml
from rich.console import Console

from cloudlink_provider.cli import main
from cloudlink_provider.fleet.commands import run as runner
from cloudlink_provider.fleet.commands import selective
from cloudlink_provider.fleet.events import FieldChange, ResourceChange
from cloudlink_provider.fleet.findings import NO_PREVIOUS
from cloudlink_provider.fleet.report import DRIFTED, UNCHANGED, FleetReport, StackOutcome


def stack(name: str) -> str:
    return f"config:\n  cloudlink-fleet:customer:\n    account: {{name: {name.title()}}}\n"


class Fake:
    """What the drift scan finds, as the test sets it; counts its runs."""

    def __init__(self):
        self.gateway_name: str | None = "Renamed in the console"
        self.runs = 0

    def __call__(self, project, names, *_a, **_k) -> FleetReport:
        self.runs += 1
        rows = []
        for name in names:
            if name == "alpha" and self.gateway_name:
                change = ResourceChange("urn:g", "cloudlink:Gateway", "gateway", "update",
                                        [FieldChange("name", self.gateway_name, "Main")],
                                        outside=[FieldChange("name", "Main", self.gateway_name)])
                rows.append(StackOutcome(name, DRIFTED, {"update": 1}, resources=[change]))
            else:
                rows.append(StackOutcome(name, UNCHANGED, {"same": 1}))
        return FleetReport("drift", "file:///state", rows)


@pytest.fixture
def fake(monkeypatch):
    found = Fake()
    monkeypatch.setattr(selective, "drift", found)

    def no_engine(*_a, **_k):
        raise AssertionError("no engine in this test")

    monkeypatch.setattr(runner.Fleet, "run", no_engine)
    return found


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "unit-passphrase")
    for var in ("PULUMI_BACKEND_URL", "CLOUDLINK_ENDPOINT", "CLOUDLINK_CLIENT_ID", "CLOUDLINK_CLIENT_SECRET",
                "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    for name in ("alpha", "beta"):
        (tmp_path / "stacks" / f"Pulumi.{name}.yaml").write_text(stack(name))
    return tmp_path


class Seen:
    def __init__(self, code: int, out: str, err: str):
        self.exit_code, self.out, self.err = code, out, err


def drift(project, *args: str) -> Seen:
    out, err = io.StringIO(), io.StringIO()
    code = main(["fleet", "drift", "--project-dir", str(project), *args],
                console=Console(file=out, width=250), err_console=Console(file=err, width=250))
    return Seen(code, out.getvalue(), err.getvalue())


def test_accept_writes_todays_findings_and_the_next_run_passes(project, fake):
    assert drift(project).exit_code == 3
    seen = drift(project, "--accept", "--reason", "renamed by the customer's IT", "--by", "jane@partner.example",
                 "--expires", "2099-01-31", "--json", str(project / "accepted.json"))
    assert seen.exit_code == 0, seen.out + seen.err
    assert "--accept: 1 finding(s) written to stacks/drift-accepted.yaml until 2099-01-31" in seen.out
    written = yaml.safe_load((project / "stacks" / "drift-accepted.yaml").read_text())
    [entry] = written["accepted"]
    data = json.loads((project / "accepted.json").read_text())
    finding = data["stacks"][0]["resources"][0]["finding"]
    assert entry == {"customer": "alpha", "resource": "gateway", "field": "name",
                     "fingerprint": finding["fingerprint"], "reason": "renamed by the customer's IT",
                     "by": "jane@partner.example", "expires": __import__("datetime").date(2099, 1, 31)}
    assert finding["accepted"]["entry"] == "stacks/drift-accepted.yaml:6"  # 4 comment lines, `accepted:`, then it
    assert data["accepted"] == 1 and data["exitCode"] == 0
    assert (project / "stacks" / "drift-accepted.yaml").read_text().startswith("# Drift findings")

    again = drift(project, "--markdown", str(project / "r.md"))
    assert again.exit_code == 0 and "accepted drift (1), does not fail the run:" in again.out
    assert "#### Accepted drift (1): does not fail the run" in (project / "r.md").read_text()
    assert "(accepted)" in (project / "r.md").read_text()

    fake.gateway_name = "Renamed once more"  # the accepted value changed: it fails again
    changed = drift(project)
    assert changed.exit_code == 3 and "fails again: the value changed since it was accepted" in changed.out
    # accepting the new value replaces the entry (one per customer, resource and field); the header stays
    assert drift(project, "--accept", "--reason", "renamed again", "--by", "ops").exit_code == 0
    text = (project / "stacks" / "drift-accepted.yaml").read_text()
    [entry] = yaml.safe_load(text)["accepted"]
    assert entry["reason"] == "renamed again" and entry["fingerprint"] != finding["fingerprint"]
    today = datetime.now(timezone.utc).date()
    assert entry["expires"] in (today + timedelta(days=90), today + timedelta(days=91))  # the default: 90 days
    assert text.startswith("# Drift findings") and drift(project).exit_code == 0


def test_accept_without_reason_or_by_and_bad_nightly_options_are_bad_usage(project, fake):
    for args, says in [(["--accept", "--by", "ops"], "--accept needs --reason"),
                       (["--reason", "x"], "--reason, --by and --expires go with --accept"),
                       (["--accept", "--reason", "x", "--by", "y", "--expires", "2001-01-01"], "is not in the future"),
                       (["--accept", "--reason", "x", "--by", "y", "--expires", "soon"], "is not a date"),
                       (["--fail-on", "sometimes"], "--fail-on 'sometimes': choose one of new, any")]:
        seen = drift(project, *args)
        assert seen.exit_code == 2 and says in seen.err, (args, seen.err)
    assert fake.runs == 0
    assert not (project / "stacks" / "drift-accepted.yaml").exists()


def test_a_bad_triage_file_stops_the_run_with_one_line_naming_file_and_field(project, fake):
    (project / "stacks" / "drift-accepted.yaml").write_text(
        "accepted:\n  - customer: alpha\n    resource: gateway\n    field: name\n    fingerprint: abc\n"
        "    reason: known\n    by: ops\n    expires: next week\n")
    seen = drift(project)
    assert seen.exit_code == 2 and fake.runs == 0
    assert seen.err.strip() == ("cloudlink fleet drift: stacks/drift-accepted.yaml: accepted[0].expires: must be a "
                                "date like 2027-06-30")


def test_history_keeps_runs_and_fail_on_new_fails_only_on_what_is_new(project, fake):
    history = project / "history"
    first = drift(project, "--history", str(history), "--fail-on", "new", "--json", str(project / "1.json"))
    assert first.exit_code == 3 and NO_PREVIOUS in first.out  # the baseline: everything is new
    assert (history / "latest.json").is_file() and len(list(history.glob("drift-*.json"))) == 1
    assert json.loads((project / "1.json").read_text())["history"] == {"previous": None,
                                                                       "source": f"{history}/"}
    second = drift(project, "--history", str(history), "--fail-on", "new", "--json", str(project / "2.json"))
    data = json.loads((project / "2.json").read_text())
    assert second.exit_code == 0, second.out
    assert data["stacks"][0]["resources"][0]["finding"]["since"] == "still" and data["failOn"] == "new"
    assert drift(project, "--history", str(history)).exit_code == 3  # --fail-on any (the default): still fails
    fake.gateway_name = None
    third = drift(project, "--history", str(history), "--json", str(project / "3.json"))
    assert third.exit_code == 0
    assert [r["key"] for r in json.loads((project / "3.json").read_text())["resolved"]] == ["alpha/gateway/name"]
    assert "resolved: alpha/gateway/name" in third.out


def test_a_latest_json_that_is_no_drift_report_makes_a_baseline_and_says_so(project, fake):
    (project / "history").mkdir()
    (project / "history" / "latest.json").write_text("{not json")
    seen = drift(project, "--history", str(project / "history"))
    assert seen.exit_code == 3 and "latest.json is not a drift report: this run is the baseline" in seen.out
    assert json.loads((project / "history" / "latest.json").read_text())["operation"] == "drift"


def test_history_in_the_backend_lives_under_cloudlink_drift_history(project, fake):
    backend = project / "state"
    backend.mkdir()
    seen = drift(project, "--backend", f"file://{backend}", "--history", "backend", "--shard", "1/1")
    assert seen.exit_code == 3, seen.err
    assert (backend / ".cloudlink" / "drift-history" / "latest-shard-1of1.json").is_file()
