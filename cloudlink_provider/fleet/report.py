"""What a fleet run found, per customer, and how it is written down: JSON, Markdown and the exit code.

Owns the report's shape (`FleetReport`, `StackOutcome`) and its two file
formats: `--json` for machines (stable keys, documented in the README) and
`--markdown` for a pull-request comment. Values in it were masked by
events.py; this module adds nothing secret and runs nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .errors import ExitCode
from .events import KNOWN_AFTER_UP, ResourceChange

# A stack's status after one operation.
UNCHANGED = "unchanged"    # nothing to do / nothing done
CHANGED = "changed"        # preview: changes planned; up/refresh/destroy: changes made
DRIFTED = "drifted"        # drift (or preview --expect-no-changes): the engine found changes
FAILED = "failed"          # the operation failed for this customer; `error` says why
CANCELLED = "cancelled"    # stopped by Ctrl-C, or never started because of it
STATUSES = (UNCHANGED, CHANGED, DRIFTED, FAILED, CANCELLED)
COLUMNS = (("create", "created"), ("adopt", "adopted"), ("update", "updated"), ("replace", "replaced"), ("delete", "deleted"),
           ("same", "unchanged"))


@dataclass
class StackOutcome:
    stack: str
    status: str
    counts: dict[str, int] = field(default_factory=dict)
    resources: list[ResourceChange] = field(default_factory=list)
    error: str | None = None   # one to three lines (fleet/failures.py): the same in the table, JSON and Markdown
    duration_s: float = 0.0
    notes: list[str] = field(default_factory=list)  # drift: what no drift check can see (blind.py)
    detail: str | None = None  # everything the engine said about the failure: only with --debug
    users: dict[str, Any] | None = None  # the stack's `users` output (onboarded, activated, pending, pendingUsers)

    @property
    def pending_note(self) -> str:
        """`3 users pending activation`, from what the last `up` recorded; empty when none or unknown."""
        pending = (self.users or {}).get("pending")
        return f"{pending} user{'s' if pending != 1 else ''} pending activation" if pending else ""

    def to_json(self, debug: bool = False) -> dict[str, Any]:
        data = {"stack": self.stack, "status": self.status, "drifted": self.status == DRIFTED,
                "changes": {label: self.counts.get(op, 0) for op, label in COLUMNS},
                "resources": [r.to_json() for r in self.resources], "error": self.error, "notes": self.notes,
                "users": self.users, "durationSeconds": round(self.duration_s, 2)}
        if debug and self.detail:
            data["errorDetail"] = self.detail
        return data


@dataclass
class FleetReport:
    operation: str
    backend: str
    stacks: list[StackOutcome] = field(default_factory=list)
    interrupted: bool = False
    started_at: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    duration_s: float = 0.0
    expect_no_changes: bool = False
    shard: str | None = None
    released_locks: list[str] = field(default_factory=list)
    unmanaged: list[Any] | None = None  # coverage.Unmanaged found by the scan; None: not looked for
    fail_on_unmanaged: bool = False
    selected_by: str | None = None  # preview --changed-since: which rule picked the stacks
    debug: bool = False  # --debug: the engine's whole failure text goes into the JSON as `errorDetail`
    checkpoints: str | None = None  # the scan: which reader read the checkpoints (checkpoint.py `source`)
    handed_to_engine: dict[str, str] = field(default_factory=dict)  # the scan: stack -> why the engine checked it

    def count(self, status: str) -> int:
        return sum(1 for s in self.stacks if s.status == status)

    @property
    def exit_code(self) -> ExitCode:
        """130 interrupted; 1 any customer failed; 3 drift found (drift / --expect-no-changes);
        4 unmanaged objects found with --fail-on-unmanaged; else 0."""
        if self.interrupted:
            return ExitCode.INTERRUPTED
        if self.count(FAILED):
            return ExitCode.FAILURE
        if self.count(DRIFTED):
            return ExitCode.DRIFT
        if self.fail_on_unmanaged and self.unmanaged:
            return ExitCode.UNMANAGED
        return ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": self.operation, "startedAt": self.started_at, "durationSeconds": round(self.duration_s, 2),
            "backend": self.backend, "shard": self.shard, "interrupted": self.interrupted,
            "releasedLocks": self.released_locks,
            "exitCode": int(self.exit_code),
            "totals": {"stacks": len(self.stacks), **{s: self.count(s) for s in STATUSES}},
            "stacks": [s.to_json(self.debug) for s in self.stacks],
            "unmanaged": None if self.unmanaged is None else [u.to_json() for u in self.unmanaged],
            "selectedBy": self.selected_by,
            "checkpointReader": self.checkpoints,
            "handedToEngine": self.handed_to_engine,
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")

    def write_markdown(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown(self))


def describe_value(value: Any, limit: int = 60) -> str:
    if value == KNOWN_AFTER_UP:
        return value  # not a value: no quotes
    text = json.dumps(value, default=str) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"


def describe_resource(change: ResourceChange) -> str:
    """`account (cloudlink:Account): update domain "evil.example" -> "acme.example" [changed outside Pulumi]`;
    an adoption reads `account (cloudlink:Account): adopt (takes over the live object; creates nothing)`."""
    head = f"{change.name} ({change.type}): {change.op}"
    if change.op == "adopt":
        head += " (takes over what CloudLink has; creates nothing it finds)"
    if change.deleted_outside:
        return f"{head} [deleted outside Pulumi]"
    parts = [f"{f.field} {describe_value(f.old)} -> {describe_value(f.new)}" for f in change.fields]
    text = f"{head} " + ", ".join(parts) if parts else head
    if change.outside:
        text += " [changed outside Pulumi: " + ", ".join(f.field for f in change.outside) + "]"
    return text


def summary_line(report: FleetReport) -> str:
    parts = [f"{report.count(s)} {s}" for s in STATUSES if report.count(s)]
    return f"{len(report.stacks)} customer(s): " + (", ".join(parts) or "none")


_ICONS = {UNCHANGED: "✅", CHANGED: "📝", DRIFTED: "⚠️", FAILED: "❌", CANCELLED: "⏹️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(report: FleetReport) -> str:
    """A report fit for a pull-request comment: a summary line, a table, details per changed customer."""
    title = f"cloudlink fleet {report.operation}"
    lines = [f"### {title}", "", f"**{summary_line(report)}** · exit code {int(report.exit_code)}"
             + (" · interrupted" if report.interrupted else "") + (f" · shard {report.shard}" if report.shard else ""),
             "", "| customer | status | " + " | ".join(label for _, label in COLUMNS) + " | notes |",
             "|---|---|" + "--:|" * len(COLUMNS) + "---|"]
    for s in report.stacks:
        notes = s.error.splitlines()[0] if s.error else s.pending_note
        counts = [str(s.counts.get(op, 0)) for op, _ in COLUMNS]
        lines.append(f"| `{s.stack}` | {_ICONS.get(s.status, '')} {s.status} | " + " | ".join(counts)
                     + f" | {_cell(notes)} |")
    detailed = [s for s in report.stacks if s.resources or s.error]
    for s in detailed:
        lines += ["", f"<details><summary><code>{s.stack}</code>: {s.status}</summary>", ""]
        lines += [f"- {_cell(describe_resource(r))}" for r in s.resources]
        if s.error:
            lines += ["", "```", s.error.strip(), "```"]
        if s.notes:
            lines += [""] + [f"- note: {_cell(n)}" for n in s.notes]
        lines += ["", "</details>"]
    if report.selected_by:
        lines += ["", f"Stacks selected: {_cell(report.selected_by)}"]
    if report.unmanaged:
        lines += ["", f"#### In CloudLink, managed by no stack ({len(report.unmanaged)})", "",
                  "| account | what | adopt with |", "|---|---|---|"]
        lines += [f"| {_cell(u.account_name)} | {_cell(u.description)} | `{_cell(u.command)}` |"
                  for u in report.unmanaged]
    return "\n".join(lines) + "\n"
