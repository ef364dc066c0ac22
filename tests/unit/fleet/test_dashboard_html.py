"""The dashboard page as text (the browser test opens it for real): escaping, capacity, no history, the CLI flag."""

from __future__ import annotations

from pathlib import Path

from cloudlink_provider.fleet.layering import layering_for
from cloudlink_provider.fleet.render.dashboard import dashboard_html
from cloudlink_provider.fleet.report import FleetReport, StackOutcome
from testkit.reports import drift_report

STACKS = Path(__file__).resolve().parents[3] / "stacks"


def test_everything_from_the_report_is_escaped():
    report = drift_report(3)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    report["stacks"][2]["resources"][0]["description"] = f"account (cloudlink:Account): update name {evil}"
    report["stacks"][2]["error"] = evil
    report["stacks"][2]["labels"] = {"tier": evil}
    html = dashboard_html(report)
    assert evil not in html and "<img" not in html
    assert html.count("<script>") == 1  # the page's own
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_capacity_use_comes_from_the_pbx_model_and_says_when_it_is_only_planned():
    layering = layering_for(STACKS)
    assert layering.capacity("harbour-health") == {"used": 2000, "max": 2500, "pbx": "MiVoice Business",
                                                   "of": "planned"}
    assert layering.capacity("harbour-health", 40)["of"] == "onboarded"
    outcome = StackOutcome("harbour-health", "unchanged", capacity=layering.capacity("harbour-health"))
    report = FleetReport("drift", "file:///s", [outcome, StackOutcome("no-pbx", "unchanged")]).to_json()
    assert "capacity" not in report["stacks"][1]
    html = dashboard_html(report)
    assert "2,000 planned of 2,500 (80%)" in html and 'data-key="capacity"' in html


def test_a_plain_preview_report_renders_without_the_drift_extras():
    html = dashboard_html(FleetReport("preview", "file:///s", [StackOutcome("a", "changed")]).to_json())
    assert "<title>CloudLink fleet preview</title>" in html and 'data-customer="a"' in html
    assert 'data-key="alignment"' not in html and "No changes." in html and "Changes by cause" in html
