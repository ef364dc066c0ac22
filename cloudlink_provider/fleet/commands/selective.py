"""Whole-fleet `preview` and `up` at the speed of the scan: the engine only where it is needed.

Owns one decision per customer, made from the scan (scan/loop.py, whose step rules
and whose "cannot judge" live in scan/preview.py):

- `scan_preview`: the scan's plan is the customer's preview; a customer the scan
  cannot judge (steps.cannot_judge, or a scan that could not finish) gets the
  engine's `pulumi preview` instead, and the report says why;
- `selective_up`: the engine's `pulumi up` runs for a customer whose scan plans a
  change, fails, or cannot be judged; a customer whose plan is empty is skipped and
  counted (`skippedUnchanged`). `force_all` (`--all`) runs the engine everywhere.

- `drift`: the scan with coverage (scan/loop.py `scan_drift`); a customer whose
  secrets a cloud KMS provider encrypts is handed to the engine's drift check
  (`pulumi preview --refresh --expect-no-changes`, the `--engine` path), whose row
  replaces the scan's; the report's `handedToEngine` says why, one line a customer.

Every row of the report says who decided it (`decidedBy`: `scan`, or why the
engine ran). It runs the engine only through runner.Fleet. Both first run the
connectivity preflight (preflight.py) once, for the scan and the engine alike: a
customer that cannot reach or authenticate to CloudLink is a failed row, never
"unchanged", and no engine runs for it.
"""

from __future__ import annotations

import time
from typing import Any

from ..events import ResourceChange
from ..loop import NullListener, default_parallel
from ..preflight import check_connectivity
from ..report import CANCELLED, CHANGED, FAILED, UNCHANGED, FleetReport, StackOutcome
from ..scan.loop import scan, scan_drift
from .run import Fleet, RunOptions

SCAN = "scan"
ALL = "--all: the engine everywhere"


def _changes(resources: list[ResourceChange]) -> str:
    shown = [f"{r.op} {r.name}" for r in resources[:4]]
    return ", ".join(shown) + (f" and {len(resources) - 4} more" if len(resources) > 4 else "")


def _merge(report: FleetReport, engine: FleetReport | None, reasons: dict[str, str]) -> None:
    """The engine's rows replace the scan's for the customers it ran on, each saying why it ran."""
    if engine is None:
        return
    by_name = {s.stack: s for s in engine.stacks}
    report.stacks = [by_name.get(s.stack, s) for s in report.stacks]
    for s in report.stacks:
        if s.stack in reasons:
            s.engine = reasons[s.stack]
    report.released_locks = sorted({*report.released_locks, *engine.released_locks})
    report.interrupted = report.interrupted or engine.interrupted


def scan_preview(project: Any, names: list[str], options: RunOptions, listener: Any = None,
                 scan_parallel: int | None = None) -> FleetReport:
    """`cloudlink fleet preview` by default: the scan, and the engine's preview for what it cannot judge."""
    listener = listener or NullListener()
    start = time.monotonic()
    unusable = check_connectivity(project, names)  # cannot reach CloudLink: a failed row, never "unchanged"
    report = scan(project, names, listener, scan_parallel, options.shard, refresh=options.refresh,
                  expect_no_changes=options.expect_no_changes, policy_pack=True, unusable=unusable)
    report.mode = SCAN
    reasons = {s.stack: s.cannot_judge for s in report.stacks if s.cannot_judge}
    for s in report.stacks:
        s.engine = SCAN
    engine = None
    if reasons and not report.interrupted:
        engine = Fleet(project, listener).run([n for n in names if n in reasons], options, unusable)
    _merge(report, engine, reasons)
    report.duration_s = time.monotonic() - start
    return report


def selective_up(project: Any, names: list[str], options: RunOptions, listener: Any = None,
                 force_all: bool = False, scan_parallel: int | None = None) -> FleetReport:
    """`cloudlink fleet up`: the engine for the customers with changes or that the scan cannot judge."""
    listener = listener or NullListener()
    start = time.monotonic()
    unusable = check_connectivity(project, names)  # checked once, for the scan and the engine alike
    if force_all:
        report = Fleet(project, listener).run(names, options, unusable)
        report.mode = "engine"
        for s in report.stacks:
            s.engine = ALL
        return report
    planned = scan(project, names, listener, scan_parallel, options.shard, refresh=options.refresh, for_up=True,
                   policy_pack=True, unusable=unusable)
    reasons: dict[str, str] = {}
    for s in planned.stacks:
        if s.stack in unusable:  # cannot reach CloudLink: the scan's failed row stands, no engine runs
            continue
        if s.cannot_judge:
            reasons[s.stack] = s.cannot_judge
        elif s.status == FAILED:
            reasons[s.stack] = "its plan fails: the engine reports it"
        elif s.status == CHANGED:
            reasons[s.stack] = f"the plan has changes: {_changes(s.resources)}"
    report = FleetReport("up", planned.backend, shard=options.shard, mode=SCAN)
    for s in planned.stacks:
        if s.stack in reasons:  # the engine's row replaces it, unless the run stops first
            report.stacks.append(StackOutcome(s.stack, CANCELLED, error="not started: the run was interrupted"))
        elif s.status == UNCHANGED:
            report.stacks.append(StackOutcome(s.stack, UNCHANGED, s.counts, [], users=s.users, engine=SCAN,
                                              skipped=True, duration_s=s.duration_s))
        else:
            report.stacks.append(s)
    report.interrupted = planned.interrupted
    engine = None
    if reasons and not planned.interrupted:
        engine = Fleet(project, listener).run([n for n in names if n in reasons], options, unusable)
    _merge(report, engine, reasons)
    for s in report.stacks:
        if s.stack in reasons:
            s.skipped = False
    report.duration_s = time.monotonic() - start
    return report


def drift(project: Any, names: list[str], parallel: int | None = None, shard: str | None = None,
          listener: Any = None, fail_on_unmanaged: bool = False, standards: Any = None) -> FleetReport:
    """`cloudlink fleet drift`: the scan, and the engine's drift check for the customers it hands over."""
    listener = listener or NullListener()
    start = time.monotonic()
    report = scan_drift(project, names, parallel, shard, listener, fail_on_unmanaged, standards)
    handed = [n for n in names if n in report.handed_to_engine]
    if handed and not report.interrupted:
        engine = Fleet(project, listener).run(handed, RunOptions("drift", min(default_parallel(), len(handed)),
                                                                 shard=shard))
        by_name = {s.stack: s for s in engine.stacks}
        report.stacks = [by_name.get(s.stack, s) for s in report.stacks]
        for s in report.stacks:
            if s.stack in report.handed_to_engine:
                s.notes.insert(0, report.handed_to_engine[s.stack])
        report.released_locks = sorted({*report.released_locks, *engine.released_locks})
        report.interrupted = report.interrupted or engine.interrupted
    report.duration_s = time.monotonic() - start
    return report
