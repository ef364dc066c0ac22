"""The rollout's health gate: after a wave's `up`, is every customer of the wave healthy?

Owns the verdict for one wave, from what `up` reported and one drift scan of the
wave's customers (scan/loop.py, refreshing from CloudLink with the providers' own
`read`): every customer applied (no failure, nothing cancelled), no drift (the live
objects and the state match the spec: `pulumi preview --refresh` would plan nothing),
every PBX link CONNECTED, and no customer the scan could not read. It writes nothing
and runs no engine.
"""

from __future__ import annotations

import threading
from typing import Any

from ..report import CANCELLED, DRIFTED, FAILED, FleetReport
from ..scan import loop

PBX_TYPE = "cloudlink:PbxConnection"
CONNECTED = "CONNECTED"


def _first(text: str | None) -> str:
    lines = (text or "").strip().splitlines()
    return lines[0] if lines else "no reason given"


def health_gate(project: Any, names: list[str], applied: FleetReport, listener: Any = None,
                parallel: int | None = None) -> tuple[dict[str, str], bool]:
    """({customer: why it is unhealthy} for the wave `names` after `applied`, whether the check was
    interrupted). An empty dict: the wave passes."""
    problems: dict[str, str] = {}
    for s in applied.stacks:
        if s.status in (FAILED, CANCELLED):
            problems[s.stack] = f"up {s.status}: {_first(s.error)}"
    links: dict[str, list[str]] = {}
    lock = threading.Lock()

    def observe(stack: str, resource: str, type_: str, outputs: dict[str, Any]) -> None:
        status = outputs.get("status")
        if type_.endswith(PBX_TYPE) and status != CONNECTED:
            with lock:
                links.setdefault(stack, []).append(f"{resource} is {status or 'without a status'}")

    checked = [n for n in names if n not in problems]
    if not checked:
        return problems, False
    drift = loop.scan(project, checked, listener, parallel, refresh=True, operation="drift", observe=observe)
    for s in drift.stacks:
        if s.status == FAILED:
            problems[s.stack] = f"the health check could not read it: {_first(s.error)}"
        elif s.status == CANCELLED:
            problems[s.stack] = "the health check was interrupted"
        elif s.status == DRIFTED:
            shown = ", ".join(f"{r.op} {r.name}" for r in s.resources[:3]) or "changes"
            problems[s.stack] = f"drift after up: {shown}"
        if s.stack in links and s.stack not in problems:
            problems[s.stack] = "PBX link not connected: " + "; ".join(links[s.stack])
    return problems, drift.interrupted
