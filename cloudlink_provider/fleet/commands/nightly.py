"""The nightly drift job's bookkeeping around a drift run: triage, history, `--fail-on`, `--accept`.

`prepare()` runs before any customer is checked: it loads and validates the triage
file (a bad one is a usage error naming file and field) and reads the previous run
from the history. `conclude()` runs on the finished report: it classifies the
findings (findings.py), writes `--accept` entries into the triage file and
classifies again (so they show as accepted), then keeps this run in the history.
The scan and `drift --engine` both end here: the report is built from outcomes
either way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from ..errors import FleetError, usage
from ..findings import FAIL_ON, Triage, TriageError, acceptances_for, classify_report
from ..history import BACKEND, History, open_history
from ..report import FleetReport
from ..state.errors import StateError
from ..trend import trend
from ..triage import load_triage, triage_path, write_acceptances


@dataclass
class Accept:
    """`--accept`: who accepts today's findings, why, and until when."""
    reason: str
    by: str
    expires: date


@dataclass
class Nightly:
    triage: Triage
    today: date
    fail_on: str = "any"
    history: History | None = None
    previous: dict[str, Any] | None = None
    accept: Accept | None = None
    stacks_dir: Any = None
    messages: list[str] = field(default_factory=list)  # what `conclude` did (printed after the report)


def prepare(project: Any, today: date, fail_on: str = "any", history: str | None = None,
            shard: str | None = None, accept: Accept | None = None) -> Nightly:
    """Everything that can be wrong with the nightly options, found before the run."""
    if fail_on not in FAIL_ON:
        raise usage(f"--fail-on {fail_on!r}: choose one of {', '.join(FAIL_ON)}")
    if accept is not None:
        if not accept.reason.strip() or not accept.by.strip():
            raise usage("--accept needs --reason (why this drift is accepted) and --by (who accepts it)")
        if accept.expires <= today:
            raise usage(f"--expires {accept.expires.isoformat()} is not in the future")
    try:
        triage = load_triage(project.stacks_dir)
    except TriageError as e:
        raise usage(str(e)) from None
    nightly = Nightly(triage, today, fail_on, accept=accept, stacks_dir=project.stacks_dir)
    if history is not None:
        if not history.strip():
            raise usage("--history: give a folder, or `backend` for the fleet's state backend")
        try:
            nightly.history = open_history(history, project.backend_url, shard)
        except StateError as e:
            raise FleetError(f"--history {BACKEND}: {' '.join(str(e).split())}") from None
        nightly.previous = nightly.history.previous()
    return nightly


def conclude(nightly: Nightly, report: FleetReport) -> None:
    """Classify the report's findings; write `--accept` entries; keep the run in the history."""
    source = nightly.history.source if nightly.history is not None else None
    if nightly.history is not None and nightly.history.warning:
        report.warnings.append(nightly.history.warning)
    findings = classify_report(report, nightly.previous, nightly.triage, nightly.today, nightly.fail_on, source)
    if nightly.accept is not None and not report.interrupted:
        entries = acceptances_for(findings, nightly.accept.reason.strip(), nightly.accept.by.strip(),
                                  nightly.accept.expires)
        if entries:
            try:
                write_acceptances(nightly.stacks_dir, entries)
                nightly.triage = load_triage(nightly.stacks_dir)
            except (TriageError, OSError) as e:
                raise FleetError(f"--accept: {' '.join(str(e).split())}") from None
            classify_report(report, nightly.previous, nightly.triage, nightly.today, nightly.fail_on, source)
        where = triage_path(nightly.stacks_dir)
        nightly.messages.append(f"--accept: {len(entries)} finding(s) written to {where.parent.name}/{where.name} "
                                f"until {nightly.accept.expires.isoformat()}; review and commit it")
    if nightly.history is not None and not report.interrupted:
        report.trend = trend(nightly.previous, report.to_json())  # findings per run, for the dashboard
        try:
            nightly.history.keep(report.to_json())
            nightly.messages.append(f"history: this run kept in {nightly.history.source}")
        except (OSError, StateError) as e:
            report.warnings.append(f"history {nightly.history.source}: this run could not be kept: "
                                   f"{' '.join(str(e).split())[:200]}")
        finally:
            nightly.history.close()


__all__ = ["Accept", "Nightly", "conclude", "prepare"]
