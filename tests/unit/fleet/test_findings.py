"""The findings: every rule of new/still/resolved/accepted/lapsed, the triage file's checks, the JSON fields."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cloudlink_provider.fleet.events import FieldChange, ResourceChange
from cloudlink_provider.fleet.findings import (NEW, NO_PREVIOUS, STILL, TriageError, acceptances_for, classify,
                                               classify_report, parse_triage)
from cloudlink_provider.fleet.report import DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome

TODAY = date(2027, 1, 15)
NOW = "2027-01-15T03:00:00+00:00"
YESTERDAY = "2027-01-14T03:00:00+00:00"


def gateway(name: str = "Renamed in the console") -> ResourceChange:
    return ResourceChange("urn:g", "cloudlink:Gateway", "gateway", "update", [FieldChange("name", name, "Main")],
                          outside=[FieldChange("name", "Main", name)])


def deleted() -> ResourceChange:
    return ResourceChange("urn:t", "cloudlink:TeamsIntegration", "teams", "create", deleted_outside=True)


def drifted(stack: str, *changes: ResourceChange, labels: dict | None = None) -> StackOutcome:
    return StackOutcome(stack, DRIFTED, {"update": 1}, resources=list(changes), labels=labels or {})


def failed(stack: str, error: str = "acme: cannot reach CloudLink") -> StackOutcome:
    return StackOutcome(stack, FAILED, error=error)


def previous(*rows: StackOutcome, started: str = YESTERDAY, **findings_kw) -> dict:
    report = FleetReport("drift", "file:///s", list(rows), started_at=started)
    classify_report(report, None, None, TODAY, source="history/", **findings_kw)
    return report.to_json()


def triage(*entries: dict) -> object:
    return parse_triage({"accepted": list(entries)}, "stacks/drift-accepted.yaml")


def entry(fingerprint: str, **kw) -> dict:
    return {"customer": "acme", "resource": "gateway", "field": "name", "fingerprint": fingerprint,
            "reason": "renamed by the customer's IT", "by": "jane@partner.example", "expires": "2027-03-01", **kw}


def test_no_previous_run_everything_is_new_and_says_it_is_the_baseline():
    found = classify([drifted("acme", gateway()), failed("baltic")], None, None, TODAY, NOW, source="history/")
    assert [(f.key, f.since, f.fails) for f in found.items] == [("acme/gateway/name", NEW, True),
                                                                ("baltic/!failed", NEW, True)]
    assert found.baseline and found.lines()[0] == NO_PREVIOUS
    assert classify([StackOutcome("acme", UNCHANGED)], None, None, TODAY, NOW).lines() == []  # nothing to say


def test_the_same_finding_again_is_still_there_and_keeps_when_it_was_first_seen():
    before = previous(drifted("acme", gateway()))
    found = classify([drifted("acme", gateway())], before, None, TODAY, NOW, source="history/")
    assert [(f.since, f.first_seen) for f in found.items] == [(STILL, YESTERDAY)]
    again = classify([drifted("acme", gateway())], {**before, "startedAt": NOW,
                                                    "stacks": [{**before["stacks"][0]}]}, None, TODAY,
                     "2027-01-16T03:00:00+00:00", source="history/")
    assert again.items[0].first_seen == YESTERDAY  # carried from the finding, not the previous run's date


def test_a_changed_value_is_new_again():
    before = previous(drifted("acme", gateway("one name")))
    found = classify([drifted("acme", gateway("another name"))], before, None, TODAY, NOW, source="history/")
    assert found.items[0].key == "acme/gateway/name" and found.items[0].since == NEW


def test_resolved_lists_what_is_gone_but_not_drift_of_a_customer_that_failed_or_was_not_checked():
    before = previous(drifted("acme", gateway(), deleted()), drifted("baltic", gateway()), drifted("nord", gateway()))
    found = classify([drifted("acme", gateway()), failed("baltic")], before, None, TODAY, NOW, source="h/")
    assert [(r.key, r.stack, r.resource, r.since) for r in found.resolved] == [("acme/teams/*", "acme", "teams",
                                                                                 YESTERDAY)]
    assert {f.key: f.since for f in found.items} == {"acme/gateway/name": STILL, "baltic/!failed": NEW}


def test_a_failure_resolves_when_the_customer_is_checked_again():
    before = previous(failed("baltic"))
    found = classify([StackOutcome("baltic", UNCHANGED)], before, None, TODAY, NOW, source="h/")
    assert [r.key for r in found.resolved] == ["baltic/!failed"] and found.items == []
    still = classify([failed("baltic")], before, None, TODAY, NOW, source="h/", fail_on="new")
    assert still.items[0].since == STILL and still.failing("failure") == 0
    assert f"failed: baltic (still failing, since {YESTERDAY})" in still.lines()


def test_accepted_drift_does_not_fail_and_is_reported_with_its_entry():
    print_ = classify([drifted("acme", gateway())], None, None, TODAY, NOW).items[0].fingerprint
    found = classify([drifted("acme", gateway())], None, triage(entry(print_)), TODAY, NOW)
    f = found.items[0]
    assert f.accepted is not None and not f.fails and found.failing("drift") == 0
    assert f.to_json()["accepted"] == {"reason": "renamed by the customer's IT", "by": "jane@partner.example",
                                       "expires": "2027-03-01", "entry": "stacks/drift-accepted.yaml:#0"}
    assert found.tag("acme", "gateway").startswith("accepted until 2027-03-01 by jane@partner.example")


def test_a_selector_entry_accepts_the_same_change_on_every_matching_customer():
    print_ = classify([drifted("acme", gateway())], None, None, TODAY, NOW).items[0].fingerprint
    rows = [drifted("acme", gateway(), labels={"tier": "gold"}), drifted("nord", gateway(), labels={"tier": "gold"}),
            drifted("baltic", gateway(), labels={"tier": "bronze"})]
    e = entry(print_, select="tier=gold")
    del e["customer"]
    found = classify(rows, None, triage(e), TODAY, NOW)
    assert {f.stack: f.accepted is not None for f in found.items} == {"acme": True, "nord": True, "baltic": False}


def test_an_expired_acceptance_fails_again_even_with_fail_on_new():
    print_ = classify([drifted("acme", gateway())], None, None, TODAY, NOW).items[0].fingerprint
    before = previous(drifted("acme", gateway()))
    found = classify([drifted("acme", gateway())], before, triage(entry(print_, expires="2027-01-14")), TODAY, NOW,
                     fail_on="new", source="h/")
    f = found.items[0]
    assert f.since == STILL and f.accepted is None and f.fails
    assert f.lapsed == "the acceptance expired on 2027-01-14 (stacks/drift-accepted.yaml:#0)"


def test_a_value_changed_since_it_was_accepted_fails_again():
    found = classify([drifted("acme", gateway("yet another"))], None, triage(entry("0123456789ab")), TODAY, NOW)
    f = found.items[0]
    assert f.accepted is None and f.fails and f.lapsed.startswith("the value changed since it was accepted")


def test_fail_on_new_fails_only_on_what_is_new():
    before = previous(drifted("acme", gateway()), failed("baltic"))
    found = classify([drifted("acme", gateway()), failed("baltic")], before, None, TODAY, NOW, fail_on="new",
                     source="h/")
    assert found.failing("drift") == 0 and found.failing("failure") == 0
    found = classify([drifted("acme", gateway()), drifted("nord", deleted())], before, None, TODAY, NOW,
                     fail_on="new", source="h/")
    assert found.failing("drift") == 1
    with pytest.raises(ValueError):
        classify([], None, None, TODAY, NOW, fail_on="sometimes")


def test_the_report_json_carries_the_findings_and_the_exit_code_follows_them():
    print_ = classify([drifted("acme", gateway())], None, None, TODAY, NOW).items[0].fingerprint
    report = FleetReport("drift", "file:///s", [drifted("acme", gateway()), failed("baltic")], started_at=NOW)
    before = previous(drifted("nord", gateway()), StackOutcome("acme", UNCHANGED))
    report.stacks.append(StackOutcome("nord", UNCHANGED))
    classify_report(report, before, triage(entry(print_)), TODAY, fail_on="any", source="history/")
    data = json.loads(json.dumps(report.to_json()))
    acme, baltic = data["stacks"][0], data["stacks"][1]
    assert acme["resources"][0]["finding"]["key"] == "acme/gateway/name"
    assert acme["resources"][0]["finding"]["since"] == "new"
    assert acme["resources"][0]["finding"]["accepted"]["by"] == "jane@partner.example"
    assert baltic["finding"]["key"] == "baltic/!failed" and baltic["finding"]["accepted"] is None
    assert data["history"] == {"previous": YESTERDAY, "source": "history/"}
    assert data["resolved"] == [{"key": "nord/gateway/name", "stack": "nord", "resource": "gateway",
                                 "since": YESTERDAY}]
    assert data["accepted"] == 1 and data["failOn"] == "any" and data["exitCode"] == 1
    report.stacks = [s for s in report.stacks if s.stack != "baltic"]
    classify_report(report, before, triage(entry(print_)), TODAY)
    assert int(report.exit_code) == 0  # drift that is accepted does not fail the run


def test_acceptances_for_covers_only_what_is_not_accepted_yet():
    found = classify([drifted("acme", gateway(), deleted()), failed("baltic")], None, None, TODAY, NOW)
    written = acceptances_for(found, "known", "ops", date(2027, 4, 15))
    assert [(e["customer"], e["resource"], e["field"]) for e in written] == [("acme", "gateway", "name"),
                                                                             ("acme", "teams", "*")]
    assert parse_triage({"accepted": written}, "f").entries[0].expires == date(2027, 4, 15)


@pytest.mark.parametrize("data, message", [
    ({"accepted": [{**entry("x"), "expires": "soon"}]},
     "stacks/drift-accepted.yaml: accepted[0].expires: must be a date like 2027-06-30"),
    ({"accepted": [{k: v for k, v in entry("x").items() if k != "reason"}]},
     "stacks/drift-accepted.yaml: accepted[0].reason: is required"),
    ({"accepted": [{**entry("x"), "select": "tier=gold"}]},
     "stacks/drift-accepted.yaml: accepted[0]: name either one customer (customer: <stack>) or a selector "
     "(select: ...)"),
    ({"accepted": [{**entry("x"), "colour": "red"}]},
     "stacks/drift-accepted.yaml: accepted[0].colour: is not a field of an entry"),
    ({"accepted": [{**{k: v for k, v in entry("x").items() if k != "customer"}, "select": "tier in (gold"}]},
     "stacks/drift-accepted.yaml: accepted[0].select:"),
    (["a list"], "stacks/drift-accepted.yaml: must be a block with `accepted:`"),
])
def test_a_bad_triage_file_is_one_line_naming_file_and_field(data, message):
    with pytest.raises(TriageError) as e:
        parse_triage(data, "stacks/drift-accepted.yaml")
    assert str(e.value).startswith(message) and "\n" not in str(e.value)
    assert "pydantic" not in str(e.value) and "_Entry" not in str(e.value)


def test_markdown_lists_accepted_drift_apart_in_the_whole_report_and_in_the_summary():
    from cloudlink_provider.fleet.report import markdown, summary_markdown

    print_ = classify([drifted("acme", gateway())], None, None, TODAY, NOW).items[0].fingerprint
    report = FleetReport("drift", "file:///s", [drifted("acme", gateway()), drifted("nord", deleted())],
                         started_at=NOW)
    classify_report(report, None, triage(entry(print_)), TODAY)
    text = markdown(report)
    assert "| `acme` |  | ⚠️ drifted (accepted) |" in text and "#### Accepted drift (1): does not fail the run" in text
    assert "teams (cloudlink:TeamsIntegration): create [deleted outside Pulumi] [new]" in text
    summary = summary_markdown(report, "r.full.md", 100_000)
    assert "> findings: 2 new, 0 still there, 0 resolved, 1 accepted; --fail-on any" in summary
    assert "- `nord`:" in summary and "- `acme`:" not in summary


def test_the_history_keeps_the_newest_runs_per_shard_and_reads_back_the_latest(tmp_path, monkeypatch):
    from cloudlink_provider.fleet import history as module
    from cloudlink_provider.fleet.history import open_history

    monkeypatch.setattr(module, "KEEP", 2)
    folder = tmp_path / "h"
    for day in (1, 2, 3):
        for shard in (None, "1/2"):
            kept = open_history(str(folder), "file:///unused", shard)
            assert kept.keep({"operation": "drift", "stacks": [], "startedAt": f"2027-01-0{day}T03:00:00+00:00"})
    (folder / "notes.txt").write_text("not ours")
    assert sorted(p.name for p in folder.iterdir()) == [
        "drift-20270102T030000Z-shard-1of2.json", "drift-20270102T030000Z.json",
        "drift-20270103T030000Z-shard-1of2.json", "drift-20270103T030000Z.json",
        "latest-shard-1of2.json", "latest.json", "notes.txt"]
    assert open_history(str(folder), "file:///unused").previous()["startedAt"] == "2027-01-03T03:00:00+00:00"
    assert open_history(str(tmp_path / "none"), "file:///unused").previous() is None
    backend = tmp_path / "state"
    for day in (1, 2, 3):
        kept = open_history("backend", f"file://{backend}")
        kept.keep({"operation": "drift", "stacks": [], "startedAt": f"2027-01-0{day}T03:00:00+00:00"})
        kept.close()
    assert sorted(p.name for p in (backend / ".cloudlink" / "drift-history").iterdir()) == [
        "drift-20270102T030000Z.json", "drift-20270103T030000Z.json", "latest.json"]
