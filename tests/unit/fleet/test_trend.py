"""Drift findings per run: carried from run to run in the report's JSON, drawn by the dashboard."""

from __future__ import annotations

from cloudlink_provider.fleet.render.dashboard import dashboard_html
from cloudlink_provider.fleet.trend import MAX_POINTS, point, trend
from testkit.reports import drift_report


def test_a_point_counts_what_the_findings_say():
    assert point(drift_report(12)) | {"startedAt": ""} == {"startedAt": "", "drift": 6, "new": 4, "accepted": 1,
                                                           "failed": 1}


def test_the_series_grows_from_the_previous_run_and_stays_bounded():
    first = drift_report(6)
    first["startedAt"] = "2026-12-01T02:00:00+00:00"
    first.pop("trend")
    second = drift_report(12)
    series = trend(first, second)  # the previous run had no trend yet: its own point starts it
    assert [p["startedAt"][:10] for p in series] == ["2026-12-01", second["startedAt"][:10]]
    second["trend"] = series
    assert len(trend(second, drift_report(3))) == 3
    second["trend"] = [dict(series[0]) for _ in range(MAX_POINTS)]
    assert len(trend(second, drift_report(3))) == MAX_POINTS
    second["trend"] = [{"startedAt": "x", "drift": "many"}]  # not a trend we wrote: not trusted
    assert len(trend(second, drift_report(3))) == 2
    assert trend(None, drift_report(3)) == [point(drift_report(3))]


def test_the_dashboard_draws_it_only_with_two_runs_or_more():
    report = drift_report(12)
    report["trend"] = report["trend"][-1:]
    assert 'id="trend"' not in dashboard_html(report)
    report["trend"] = [{"startedAt": f"2026-12-0{d}T02:00:00+00:00", "drift": d, "new": 1, "accepted": 0,
                        "failed": 0} for d in range(1, 5)]
    html = dashboard_html(report)
    assert html.count("<rect") == 8 and "2026-12-01 to 2026-12-04, 4 runs, at most 4 findings" in html
    assert "<td>2026-12-04 02:00</td>" in html
