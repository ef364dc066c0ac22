"""Fleet reports show pending activations per customer; `welcome-email` is deliberate (names its customers)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from cloudlink_provider.cli import app
from cloudlink_provider.fleet.report import CHANGED, UNCHANGED, FleetReport, StackOutcome, markdown

USERS = {"onboarded": 5, "activated": 2, "pending": 3, "pendingUsers": ["a@x.example", "b@x.example", "c@x.example"]}


def test_reports_carry_each_customers_pending_activations():
    report = FleetReport("up", "file:///state", stacks=[StackOutcome("harbour", CHANGED, users=USERS),
                                                       StackOutcome("acme", UNCHANGED)])
    stacks = json.loads(json.dumps(report.to_json()))["stacks"]
    assert stacks[0]["users"] == USERS and stacks[1]["users"] is None
    rows = [line for line in markdown(report).splitlines() if line.startswith("| `")]
    assert rows[0].endswith("| 3 users pending activation |") and rows[1].endswith("|  |")
    assert StackOutcome("one", UNCHANGED, users={**USERS, "pending": 1}).pending_note == "1 user pending activation"
    assert StackOutcome("none", UNCHANGED, users={**USERS, "pending": 0}).pending_note == ""


def test_welcome_email_needs_the_customers_named(tmp_path):
    (tmp_path / "stacks").mkdir()
    result = CliRunner().invoke(app, ["fleet", "welcome-email", "--project-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--stacks" in result.output
    result = CliRunner().invoke(app, ["fleet", "welcome-email", "--stacks", "zzz*", "--project-dir", str(tmp_path)])
    assert result.exit_code == 2 and "no stack" in result.output
