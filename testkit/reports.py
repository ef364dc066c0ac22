"""Drift reports as the fleet writes them (`FleetReport.to_json()`), for the notification and dashboard tests.

`drift_report()` builds a report with the real report classes, then adds what a run with history and
triage writes beside each finding (`finding: {key, since, accepted}`, top-level `history`, `resolved`,
`accepted`), the standards' alignment and a capacity use per customer: the same JSON `--json` writes (fleet/findings.py's shape).
"""

from __future__ import annotations

from typing import Any

from cloudlink_provider.fleet.events import FieldChange, ResourceChange
from cloudlink_provider.fleet.report import DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome

URN = "urn:pulumi:{stack}::cloudlink-fleet::cloudlink:Account::account"


def language_drift(stack: str, live: str = "it-IT", want: str = "en-GB") -> ResourceChange:
    return ResourceChange(URN.format(stack=stack), "cloudlink:Account", "account", "update",
                          [FieldChange("languageCode", live, want)], [FieldChange("languageCode", want, live)],
                          inputs={"languageCode": want}, old_inputs={"languageCode": want})


def domain_drift(stack: str) -> ResourceChange:
    return ResourceChange(URN.format(stack=stack), "cloudlink:Account", "account", "update",
                          [FieldChange("domain", f"evil-{stack}.example", f"{stack}.example")],
                          [FieldChange("domain", f"{stack}.example", f"evil-{stack}.example")],
                          inputs={"domain": f"{stack}.example"}, old_inputs={"domain": f"{stack}.example"})


def drift_report(customers: int = 12, history: bool = True) -> dict[str, Any]:
    """`customers` customers: every third one has the same language change (one cause, many customers; new
    on some, still on others), customers 2 and 6 a domain change each (of their own), customer 5 failed, customer 8 an
    accepted finding; the others clean. Labels tier=gold|silver, region=eu|uk."""
    report = FleetReport("drift", "file:///state")
    for i in range(1, customers + 1):
        name = f"customer-{i:03d}"
        resources = []
        if i % 3 == 0 or i == 8:
            resources.append(language_drift(name))
        if i in (2, 6):
            resources.append(domain_drift(name))
        status = FAILED if i == 5 else DRIFTED if resources else UNCHANGED
        outcome = StackOutcome(name, status, {"update": len(resources)} if resources else {}, resources,
                               error="account: read failed: ServerError 503 ServiceUnavailable (correlation id c-5)"
                               if i == 5 else None,
                               users={"onboarded": 10 * i, "activated": 9 * i, "pending": i % 4})
        outcome.labels = {"tier": "gold" if i % 2 else "silver", "region": "eu" if i % 4 < 2 else "uk"}
        report.stacks.append(outcome)
    data = report.to_json()
    for i, row in enumerate(data["stacks"], start=1):
        row["capacity"] = {"used": 10 * i, "max": 500}
        for resource in row["resources"]:
            since = "new" if (not history or i % 2 == 0 or i == 2) else "still"
            accepted = ({"reason": "kept Italian for the Milan office", "by": "ops@partner.example",
                         "expires": "2027-03-01"} if i == 8 else None)
            resource["finding"] = {"key": f"{row['stack']}/account/languageCode", "fingerprint": "0123456789ab",
                                   "since": since, "firstSeen": "2026-12-01T02:00:00+00:00", "accepted": accepted,
                                   "lapsed": None, "fails": accepted is None}
        if row["status"] == "failed":
            row["finding"] = {"key": f"{row['stack']}/!failed", "fingerprint": "ba9876543210", "since": "new",
                              "firstSeen": data["startedAt"], "accepted": None, "lapsed": None, "fails": True}
    data["history"] = {"previous": "2026-12-04T02:00:00+00:00" if history else None,
                       "source": "file:///history" if history else None}
    data["resolved"] = ([{"key": "customer-004/account/domain", "stack": "customer-004", "resource": "account",
                          "since": "2026-12-02T02:00:00+00:00"}] if history else [])
    if history:  # five earlier runs, then this one (fleet/trend.py)
        data["trend"] = [{"startedAt": f"2026-11-{d:02d}T02:00:00+00:00", "drift": d % 4 + 2, "new": d % 2,
                          "accepted": 1, "failed": 0} for d in range(26, 31)] + [
            {"startedAt": data["startedAt"], "drift": 6, "new": 4, "accepted": 1, "failed": 1}]
    data["accepted"] = 1
    data["failOn"] = "any"
    data["standards"] = {"customers": [{"customer": row["stack"], "score": 100 - 10 * (i % 3)}
                                       for i, row in enumerate(data["stacks"], start=1)]}
    return data
