"""Fleet reports show pending activations per customer; `welcome-email` is deliberate (names its customers)."""

from __future__ import annotations

import json

import io

from rich.console import Console

from cloudlink_provider.cli import main
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


def _welcome(*args: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(["fleet", "welcome-email", *args], console=Console(file=out, width=200),
                err_console=Console(file=err, width=200))
    return code, out.getvalue() + err.getvalue()


def test_welcome_email_needs_the_customers_named(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\n")
    code, text = _welcome("--project-dir", str(tmp_path))
    assert code == 2 and "--stacks" in text
    code, text = _welcome("--stacks", "zzz*", "--project-dir", str(tmp_path))
    assert code == 2 and "no stack" in text
