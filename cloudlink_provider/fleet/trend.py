"""Drift findings over time, pure: each run's counts, carried from run to run through the history.

A drift run with `--history` writes `trend` into its JSON: at most MAX_POINTS points
`{startedAt, drift, new, accepted, failed}`, oldest first, the last one this run's. The next
run reads the previous JSON (history.py moves the bytes) and appends its own point, so the
series needs no listing of old files. A previous report without `trend` (the first run with
it, or an older version) gives its own point. The dashboard draws the series; nothing else
reads it. Counts are of the report's JSON as findings.py annotated it: drift findings not
accepted (or whose acceptance lapsed), those new since the run before, those accepted, and
failed customers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

MAX_POINTS = 60
KEYS = ("drift", "new", "accepted", "failed")


def point(report: Mapping[str, Any]) -> dict[str, Any]:
    """One run's counts from its JSON."""
    drift = new = accepted = failed = 0
    for row in report.get("stacks") or []:
        if row.get("status") == "failed":
            failed += 1
        if row.get("status") != "drifted":
            continue
        for resource in row.get("resources") or []:
            finding = resource.get("finding") if isinstance(resource.get("finding"), Mapping) else {}
            if finding.get("accepted") and not finding.get("lapsed"):
                accepted += 1
                continue
            drift += 1
            new += 1 if finding.get("since", "new") == "new" or finding.get("lapsed") else 0
    return {"startedAt": str(report.get("startedAt", "")), "drift": drift, "new": new, "accepted": accepted,
            "failed": failed}


def _valid(p: Any) -> bool:
    return (isinstance(p, Mapping) and isinstance(p.get("startedAt"), str)
            and all(isinstance(p.get(k), int) and not isinstance(p.get(k), bool) for k in KEYS))


def trend(previous: Mapping[str, Any] | None, report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The series this run writes: the previous run's (or its own point), then this run's point."""
    before: list[dict[str, Any]] = []
    if isinstance(previous, Mapping):
        carried = previous.get("trend")
        if isinstance(carried, list) and carried and all(_valid(p) for p in carried):
            before = [dict(p) for p in carried]
        elif previous.get("stacks") is not None:
            before = [point(previous)]
    return (before + [point(report)])[-MAX_POINTS:]
