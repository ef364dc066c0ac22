"""The report: exit-code precedence, the JSON contract, a Markdown table that survives odd text."""

from __future__ import annotations

import json

from cloudlink_provider.fleet.engine.env import redact_url
from cloudlink_provider.fleet.events import FieldChange, ResourceChange
from cloudlink_provider.fleet.report import (CANCELLED, CHANGED, DRIFTED, FAILED, UNCHANGED, FleetReport,
                                             StackOutcome, markdown)


def outcome(name: str, status: str, **kw) -> StackOutcome:
    return StackOutcome(name, status, {"update": 1 if status == DRIFTED else 0, "same": 1}, **kw)


def test_exit_code_precedence():
    assert FleetReport("drift", "file:///s", [outcome("a", UNCHANGED)]).exit_code == 0
    assert FleetReport("preview", "file:///s", [outcome("a", CHANGED)]).exit_code == 0
    assert FleetReport("drift", "file:///s", [outcome("a", DRIFTED), outcome("b", UNCHANGED)]).exit_code == 3
    assert FleetReport("drift", "file:///s", [outcome("a", DRIFTED), outcome("b", FAILED)]).exit_code == 1
    assert FleetReport("up", "file:///s", [outcome("a", CANCELLED)], interrupted=True).exit_code == 130
    assert FleetReport("up", "file:///s", []).exit_code == 0


def test_json_contract(tmp_path):
    change = ResourceChange("urn:x", "cloudlink:Account", "account", "update",
                            [FieldChange("domain", "evil.example", "acme.example")],
                            outside=[FieldChange("domain", "acme.example", "evil.example")])
    report = FleetReport("drift", "file:///s", [outcome("acme", DRIFTED, resources=[change]),
                                                outcome("baltic", FAILED, error="boom")])
    report.write_json(tmp_path / "r" / "report.json")
    data = json.loads((tmp_path / "r" / "report.json").read_text())
    assert data["exitCode"] == 1 and data["totals"] == {"stacks": 2, "unchanged": 0, "changed": 0, "drifted": 1,
                                                        "failed": 1, "cancelled": 0}
    acme = data["stacks"][0]
    assert acme["drifted"] is True
    assert acme["changes"] == {"created": 0, "adopted": 0, "updated": 1, "replaced": 0, "deleted": 0,
                               "unchanged": 1}
    assert acme["resources"][0]["fields"] == [{"field": "domain", "old": "evil.example", "new": "acme.example"}]
    assert acme["resources"][0]["changedOutside"][0]["new"] == "evil.example"
    assert data["stacks"][1]["error"] == "boom"


def test_markdown_table_escapes_pipes_and_newlines():
    text = markdown(FleetReport("preview", "file:///s", [outcome("a", FAILED, error="bad | value\nsecond line")]))
    row = next(line for line in text.splitlines() if line.startswith("| `a`"))
    assert row.count(" | ") == 9 and "bad \\| value" in row and "second line" not in row
    assert "```\nbad | value\nsecond line\n```" in text


def test_backend_passwords_never_reach_a_report():
    assert redact_url("postgres://pulumi:s3cret@db:5432/state?sslmode=disable") == \
        "postgres://pulumi:***@db:5432/state?sslmode=disable"
    assert redact_url("file:///home/me/.state") == "file:///home/me/.state"
    assert redact_url("s3://bucket/prefix") == "s3://bucket/prefix"


def test_markdown_counts_adoptions_in_their_own_column():
    adopted = StackOutcome("imported", CHANGED, {"adopt": 3, "same": 0},
                           [ResourceChange("urn:x", "cloudlink:Account", "account", "adopt")])
    text = markdown(FleetReport("preview", "file:///s", [adopted]))
    header = next(line for line in text.splitlines() if line.startswith("| customer"))
    row = next(line for line in text.splitlines() if line.startswith("| `imported`"))
    assert header.split(" | ")[4] == "adopted" and row.split(" | ")[4] == "3"  # after customer, labels, status, created
    assert "account (cloudlink:Account): adopt (takes over what CloudLink has" in text


def test_unmanaged_objects_are_listed_apart_and_exit_4_only_when_asked(tmp_path):
    from cloudlink_provider.fleet.scan.coverage import Unmanaged

    stray = Unmanaged("account", "acc-9", "Stray | Co", "acc-9", "customer account Stray | Co", None)
    teams = Unmanaged("teams", "acc-1", "Acme", "it-1", "Teams integration for tenant t", "acme")
    clean = [outcome("acme", UNCHANGED)]
    assert FleetReport("drift", "file:///s", clean, unmanaged=[stray]).exit_code == 0
    assert FleetReport("drift", "file:///s", clean, unmanaged=[stray], fail_on_unmanaged=True).exit_code == 4
    assert FleetReport("drift", "file:///s", clean, unmanaged=[], fail_on_unmanaged=True).exit_code == 0
    drift = FleetReport("drift", "file:///s", [outcome("acme", DRIFTED)], unmanaged=[stray], fail_on_unmanaged=True)
    assert drift.exit_code == 3  # drift is the louder finding
    report = FleetReport("drift", "file:///s", clean, unmanaged=[stray, teams])
    data = report.to_json()
    assert [u["importCommand"] for u in data["unmanaged"]] == ["cloudlink fleet import --account-id acc-9", None]
    assert [u["adoptWith"] for u in data["unmanaged"]] == [  # never a second import of a managed account
        "cloudlink fleet import --account-id acc-9",
        "add a `teams` block describing it to stacks/Pulumi.acme.yaml: the next `cloudlink fleet up` adopts it"]
    gateway = Unmanaged("gateway", "acc-1", "Acme", "gw-2", "gateway CLGW-2 (Site 2)", "acme")
    assert gateway.command.startswith("none: a stack manages one gateway today, so this one stays unmanaged")
    text = markdown(report)
    assert "In CloudLink, managed by no stack (2)" in text and "Stray \\| Co" in text
    assert FleetReport("drift", "file:///s", clean).to_json()["unmanaged"] is None  # --engine: not looked for


def test_the_engines_whole_failure_text_is_in_the_json_only_with_debug():
    from cloudlink_provider.fleet.report import FAILED, FleetReport, StackOutcome, markdown

    failed = StackOutcome("acme", FAILED, error="gateway (cloudlink:Gateway) create failed: 500 ServerError: x\n"
                                                "what to do: run `cloudlink fleet up` again",
                          detail="Traceback (most recent call last):\n  File \"/home/ci/x.py\", line 1\nServerError: x")
    report = FleetReport("up", "file:///state", stacks=[failed])
    plain = report.to_json()["stacks"][0]
    assert plain["error"] == failed.error and "errorDetail" not in plain
    assert "Traceback" not in markdown(report) and failed.error.splitlines()[0] in markdown(report)
    report.debug = True
    assert report.to_json()["stacks"][0]["errorDetail"].startswith("Traceback")


def test_a_coverage_listing_that_fails_is_a_section_and_exit_1_never_an_abort():
    from cloudlink_provider.client import TransportError
    from cloudlink_provider.fleet.scan.coverage import Coverage

    class Silent:
        class accounts:
            @staticmethod
            def list():
                raise TransportError("GET http://10.0.0.9/admin/2017-09-01/accounts: ConnectTimeout: timed out")

    coverage = Coverage()
    coverage.clients[("http://10.0.0.9", "partner")] = Silent()  # type: ignore[assignment]
    coverage.managed_ids[("http://10.0.0.9", "partner")] = set()
    coverage.managed_names[("http://10.0.0.9", "partner")] = set()
    errors = coverage.partner_accounts()
    assert len(errors) == 1 and "could not be listed" in errors[0] and "ConnectTimeout" in errors[0]
    report = FleetReport("drift", "file:///s", [outcome("acme", DRIFTED)], unmanaged=[], coverage_errors=errors)
    assert report.exit_code == 1
    assert report.to_json()["coverageErrors"] == errors
    text = markdown(report)
    assert "#### Coverage could not be listed" in text and "`acme`" in text


def test_reports_carry_labels_and_fold_the_same_change_on_many_customers():
    def changed(name: str) -> StackOutcome:
        return StackOutcome(name, CHANGED, {"update": 1}, [ResourceChange(
            "urn:x", "cloudlink:Account", "account", "update",
            fields=[FieldChange("languageCode", "es-ES", "ca-ES")])], labels={"region": "eu", "tier": "gold"})

    report = FleetReport("preview", "file:///s", [changed(f"c{i}") for i in range(3)] + [StackOutcome("d", UNCHANGED)])
    report.spec_changes = {f"c{i}": ["account.languageCode es-ES -> ca-ES"] for i in range(3)}
    text = markdown(report)
    assert "| `c0` | region=eu,tier=gold |" in text
    assert "**The same change on 3 customers:**" in text and text.count("languageCode") == 2  # folded, not repeated
    assert "**The same change on 3 customers:** `account.languageCode es-ES -> ca-ES`" in text
    assert report.to_json()["stacks"][0]["labels"] == {"region": "eu", "tier": "gold"}
    assert report.to_json()["specChanges"]["c1"] == ["account.languageCode es-ES -> ca-ES"]


def test_a_markdown_report_too_long_for_one_comment_becomes_a_summary_with_the_whole_report_beside(tmp_path):
    from cloudlink_provider.fleet.report import COMMENT_LIMIT

    def changed(i: int) -> StackOutcome:
        change = ResourceChange(f"urn:{i}", "cloudlink:Gateway", "gateway", "update",
                                [FieldChange("name", f"Site {i}", f"Site {i} / moved")])
        return StackOutcome(f"customer-{i:04d}", CHANGED, {"update": 1, "same": 5}, [change])

    stacks = [changed(i) for i in range(1000)] + [outcome("broken", FAILED, error="account: name must not be empty")]
    report = FleetReport("preview", "file:///s", stacks)
    report.write_markdown(tmp_path / "preview.md")
    comment, full = (tmp_path / "preview.md").read_text(), (tmp_path / "preview.full.md").read_text()
    assert len(full) > COMMENT_LIMIT and len(comment) < COMMENT_LIMIT - 2000
    assert "1001 customer(s): 1000 changed, 1 failed" in comment
    assert "| update gateway (cloudlink:Gateway) | 1000 |" in comment
    assert "- `broken`: account: name must not be empty" in comment
    assert "attached as `preview.full.md`" in comment
    assert full == markdown(report)

    small = FleetReport("preview", "file:///s", stacks[:3])
    small.write_markdown(tmp_path / "small.md")
    assert (tmp_path / "small.md").read_text() == markdown(small) and not (tmp_path / "small.full.md").exists()


def test_a_summary_comment_keeps_the_run_wide_warnings_and_the_coverage_section(tmp_path):
    from cloudlink_provider.fleet.report import summary_markdown

    report = FleetReport("drift", "file:///s", [outcome("acme", DRIFTED)], unmanaged=[],
                         coverage_errors=["the accounts of client p at http://10.0.0.9 could not be listed"],
                         warnings=["WARNING: the secrets of acme are protected by the PUBLIC demo passphrase"])
    text = summary_markdown(report, "drift.full.md", 70_000)
    assert "#### Coverage could not be listed" in text and "could not be listed" in text
    assert "PUBLIC demo passphrase" in text
