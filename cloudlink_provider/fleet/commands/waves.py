"""A rollout in waves: `up` wave by wave, a health gate after each, stop at the first wave that fails it.

Owns the loop over a `rollout.RolloutPlan`: per wave, `selective.selective_up`
(the engine only for customers with changes or that the scan cannot judge), then
`gate.health_gate`; `--bake` seconds between waves. The first wave whose gate fails
(or an interrupt) stops the rollout; the result says which waves ran, which
customers changed, which failed and why, and the command that resumes. Resuming
is the same command: customers already applied plan nothing and are skipped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ..loop import NullListener
from ..report import CHANGED, FleetReport
from . import gate, selective
from .rollout import RolloutPlan
from .run import RunOptions

PASSED, FAILED_GATE, NOT_RUN, INTERRUPTED = "passed", "failed", "not run", "interrupted"


@dataclass
class WaveResult:
    name: str
    stacks: list[str]
    status: str = NOT_RUN
    changed: list[str] = field(default_factory=list)  # the engine changed them in this wave
    skipped: list[str] = field(default_factory=list)  # nothing to do: the engine did not run
    failed: dict[str, str] = field(default_factory=dict)  # customer -> why the gate failed it

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "customers": self.stacks, "changed": self.changed,
                "skippedUnchanged": self.skipped, "failed": [{"stack": k, "reason": v} for k, v in self.failed.items()]}

    def line(self) -> str:
        if self.status == NOT_RUN:
            return f"{self.name}: not run ({len(self.stacks)} customer(s))"
        text = (f"{self.name}: {self.status} - {len(self.stacks)} customer(s), {len(self.changed)} changed, "
                f"{len(self.skipped)} skipped unchanged")
        return text + (f", {len(self.failed)} failed the gate" if self.failed else "")


@dataclass
class RolloutResult:
    plan: RolloutPlan
    waves: list[WaveResult]
    resume: str  # the command that resumes the rollout

    @property
    def failed(self) -> bool:
        return any(w.status == FAILED_GATE for w in self.waves)

    @property
    def stopped_at(self) -> WaveResult | None:
        return next((w for w in self.waves if w.status in (FAILED_GATE, INTERRUPTED)), None)

    def to_json(self) -> dict[str, Any]:
        return {"plan": self.plan.describe(), "bakeSeconds": self.plan.bake_s,
                "waves": [w.to_json() for w in self.waves], "failed": self.failed,
                "stoppedAt": self.stopped_at.name if self.stopped_at else None,
                "resume": self.resume if self.stopped_at else None}

    def lines(self) -> list[str]:
        out = [f"rollout: {self.plan.describe()}"] + [f"  {w.line()}" for w in self.waves]
        for w in self.waves:
            out += [f"    {stack}: {why}" for stack, why in w.failed.items()]
        if self.stopped_at is not None:
            out.append(f"stopped at {self.stopped_at.name}; fix it, then resume (applied customers are "
                       f"skipped as unchanged): {self.resume}")
        return out


def run_rollout(project: Any, plan: RolloutPlan, options: RunOptions, resume: str, listener: Any = None,
                force_all: bool = False, scan_parallel: int | None = None,
                sleep: Callable[[float], None] = time.sleep) -> FleetReport:
    """`up` wave by wave with a health gate after each; the report carries a `RolloutResult`."""
    listener = listener or NullListener()
    start = time.monotonic()
    result = RolloutResult(plan, [WaveResult(w.name, list(w.stacks)) for w in plan.waves], resume)
    report: FleetReport | None = None
    for k, (wave, done) in enumerate(zip(plan.waves, result.waves)):
        applied = selective.selective_up(project, list(wave.stacks), options, listener, force_all, scan_parallel)
        if report is None:
            report = applied
        else:
            report.stacks += applied.stacks
            report.released_locks = sorted({*report.released_locks, *applied.released_locks})
        done.changed = [s.stack for s in applied.stacks if s.status == CHANGED]
        done.skipped = [s.stack for s in applied.stacks if s.skipped]
        if applied.interrupted:
            done.status, report.interrupted = INTERRUPTED, True
            break
        done.failed, interrupted = gate.health_gate(project, list(wave.stacks), applied, listener, scan_parallel)
        if interrupted:
            done.status, report.interrupted = INTERRUPTED, True
            break
        if done.failed:
            done.status = FAILED_GATE
            break
        done.status = PASSED
        if plan.bake_s and k + 1 < len(plan.waves):
            listener.activity(wave.stacks[-1], f"baking {plan.bake_s:g}s before the next wave")
            sleep(plan.bake_s)
    assert report is not None  # a plan has at least one wave
    report.rollout = result
    report.duration_s = time.monotonic() - start
    return report
