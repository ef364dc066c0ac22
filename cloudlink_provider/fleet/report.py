"""What a fleet run found, per customer, and how it is written down: JSON, Markdown and the exit code.

Owns the report's shape (`FleetReport`, `StackOutcome`) and its two file
formats: `--json` for machines (stable keys, documented in the README) and
`--markdown` for a pull-request comment. Values in it were masked by
events.py; this module adds nothing secret and runs nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

from ..standards import StandardsReport
from . import describe
from .errors import ExitCode
from .events import KNOWN_AFTER_UP, PolicyViolation, ResourceChange

COMMENT_LIMIT = 65_536  # GitHub's limit on one issue or pull-request comment, in characters
COMMENT_BUDGET = COMMENT_LIMIT - 2_000  # room for the workflow's own marker and link

# A stack's status after one operation.
UNCHANGED = "unchanged"    # nothing to do / nothing done
CHANGED = "changed"        # preview: changes planned; up/refresh/destroy: changes made
DRIFTED = "drifted"        # drift (or preview --expect-no-changes): the engine found changes
FAILED = "failed"          # the operation failed for this customer; `error` says why
CANCELLED = "cancelled"    # stopped by Ctrl-C, or never started because of it
STATUSES = (UNCHANGED, CHANGED, DRIFTED, FAILED, CANCELLED)


def status_of(failed: bool, changed: bool, drift: bool, cancelled: bool = False) -> str:
    """A customer's status after one operation: the one rule the engine runner and the scan both follow."""
    if cancelled:
        return CANCELLED
    if failed:
        return FAILED
    if changed:
        return DRIFTED if drift else CHANGED
    return UNCHANGED


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
    notes: list[str] = field(default_factory=list)  # drift: what no drift check can see (scan/blind.py)
    detail: str | None = None  # everything the engine said about the failure: only with --debug
    users: dict[str, Any] | None = None  # the stack's `users` output (onboarded, activated, pending, pendingUsers)
    policies: list[PolicyViolation] = field(default_factory=list)  # what the standards' policy pack said
    cannot_judge: str | None = None  # the scan: why it hands this customer to the engine (steps.py); None: judged
    engine: str | None = None  # who decided this row: `scan`, or why the engine ran (`the plan has changes`, ...)
    skipped: bool = False  # up: the scan found nothing to do, so the engine did not run
    warnings: list[str] = field(default_factory=list)  # preview/up: the program's warnings (readiness advisories)
    labels: dict[str, str] = field(default_factory=dict)  # the customer's labels (fleet file profiles + its own)
    picked_by: str | None = None  # preview --changed-since: why this customer was picked
    capacity: dict[str, Any] | None = None  # {used, max, pbx}: users against the PBX's capacity (layering.py)

    @property
    def labels_text(self) -> str:
        return ",".join(f"{k}={v}" for k, v in sorted(self.labels.items()))

    @property
    def pending_note(self) -> str:
        """`3 users pending activation`, from what the last `up` recorded; empty when none or unknown."""
        pending = (self.users or {}).get("pending")
        return f"{pending} user{'s' if pending != 1 else ''} pending activation" if pending else ""

    def to_json(self, debug: bool = False) -> dict[str, Any]:
        data = {"stack": self.stack, "status": self.status, "drifted": self.status == DRIFTED,
                "changes": {label: self.counts.get(op, 0) for op, label in COLUMNS},
                "resources": [{**r.to_json(), "description": describe_resource(r)} for r in self.resources],
                "error": self.error, "notes": self.notes,
                "users": self.users, "labels": self.labels, "durationSeconds": round(self.duration_s, 2),
                "policyViolations": [p.to_json() for p in self.policies]}
        if self.picked_by is not None:
            data["pickedBy"] = self.picked_by
        if self.capacity is not None:
            data["capacity"] = self.capacity
        data["warnings"] = self.warnings
        if self.engine is not None:
            data["decidedBy"] = self.engine
            data["skipped"] = self.skipped
        if debug and self.detail:
            data["errorDetail"] = self.detail
        return data


class Findings(Protocol):
    """A drift run's findings, classified (findings.py makes them): new, still, resolved, accepted."""
    fail_on: str

    def failing(self, kind: str) -> int: ...  # kind: `drift` or `failure`; how many fail the run
    def annotate(self, row: dict[str, Any]) -> None: ...  # writes `finding` blocks into one stack row's JSON
    def to_json(self) -> dict[str, Any]: ...  # the top-level `history`, `resolved`, `accepted`, `failOn`
    def lines(self) -> list[str]: ...  # the summary (baseline or compared with when), then what resolved
    def tag(self, stack: str, resource: str) -> str: ...  # `new`, `still there since ...`, `accepted until ...`
    def is_accepted(self, stack: str, resource: str) -> bool: ...


class Unmanaged(Protocol):
    """An object in CloudLink that no stack manages, as the report shows it (scan/coverage.py makes them)."""
    account_name: str
    description: str

    @property
    def command(self) -> str: ...
    def to_json(self) -> dict[str, Any]: ...


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
    unmanaged: list[Unmanaged] | None = None  # found by the scan (scan/coverage.py); None: not looked for
    fail_on_unmanaged: bool = False
    selected_by: str | None = None  # preview --changed-since: which rule picked the stacks
    spec_changes: dict[str, list[str]] = field(default_factory=dict)  # --changed-since: effective spec diffs
    debug: bool = False  # --debug: the engine's whole failure text goes into the JSON as `errorDetail`
    checkpoints: str | None = None  # the scan: which reader read the checkpoints (state/checkpoint.py `source`)
    handed_to_engine: dict[str, str] = field(default_factory=dict)  # the scan: stack -> why the engine checked it
    coverage_errors: list[str] = field(default_factory=list)  # drift: account listings that failed (a section)
    warnings: list[str] = field(default_factory=list)  # run-wide warnings (the public demo passphrase in use)
    standards: StandardsReport | None = None  # the standards report evaluated beside drift by the scan, or None
    mode: str | None = None  # preview/up: `scan` (the engine only where needed) or `engine` (--engine / --all)
    rollout: Any = None  # up with a rollout plan: rollout.RolloutResult (waves run, changed, failed, resume)
    notifications: list[dict[str, Any]] | None = None  # drift: what each notification target got (notify/deliver.py)
    trend: list[dict[str, Any]] | None = None  # drift --history: the findings per run, oldest first (trend.py)
    findings: Findings | None = None  # drift: new/still/resolved/accepted (findings.py); None: not classified

    @property
    def skipped_unchanged(self) -> int:
        return sum(1 for s in self.stacks if s.skipped)

    def count(self, status: str) -> int:
        return sum(1 for s in self.stacks if s.status == status)

    @property
    def exit_code(self) -> ExitCode:
        """130 interrupted; 1 any customer (or the coverage listing) failed; 3 drift found (drift /
        --expect-no-changes); 4 unmanaged objects found with --fail-on-unmanaged; else 0. With findings
        (drift), only the failures and drift that fail the run count (accepted drift does not; with
        `--fail-on new` only what is new)."""
        if self.interrupted:
            return ExitCode.INTERRUPTED
        failed = self.count(FAILED) if self.findings is None else self.findings.failing("failure")
        if failed or self.coverage_errors or (self.rollout is not None and self.rollout.failed):
            return ExitCode.FAILURE
        if self.count(DRIFTED) if self.findings is None else self.findings.failing("drift"):
            return ExitCode.DRIFT
        if self.fail_on_unmanaged and self.unmanaged:
            return ExitCode.UNMANAGED
        return ExitCode.OK

    def to_json(self) -> dict[str, Any]:
        stacks = [s.to_json(self.debug) for s in self.stacks]
        if self.findings is not None:
            for row in stacks:
                self.findings.annotate(row)
        return {
            "operation": self.operation, "startedAt": self.started_at, "durationSeconds": round(self.duration_s, 2),
            "backend": self.backend, "shard": self.shard, "interrupted": self.interrupted,
            "releasedLocks": self.released_locks,
            "exitCode": int(self.exit_code),
            "totals": {"stacks": len(self.stacks), **{s: self.count(s) for s in STATUSES}},
            "stacks": stacks,
            "unmanaged": None if self.unmanaged is None else [u.to_json() for u in self.unmanaged],
            "selectedBy": self.selected_by,
            "checkpointReader": self.checkpoints,
            "handedToEngine": self.handed_to_engine,
            "coverageErrors": self.coverage_errors,
            "warnings": self.warnings,
            "specChanges": self.spec_changes,
            **({"standards": self.standards.to_json()} if self.standards is not None else {}),
            **({"mode": self.mode, "engineRuns": sum(1 for s in self.stacks if s.engine and s.engine != "scan"),
                "skippedUnchanged": self.skipped_unchanged} if self.mode else {}),
            **({"rollout": self.rollout.to_json()} if self.rollout is not None else {}),
            **({"notifications": self.notifications} if self.notifications is not None else {}),
            **({"trend": self.trend} if self.trend is not None else {}),
            **(self.findings.to_json() if self.findings is not None else {}),
        }

    def write_json(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_json(), indent=2, default=str) + "\n")

    def write_markdown(self, path: Path) -> None:
        """The Markdown report at `path`, always fit to post as one pull-request comment: when the whole
        report is longer than GitHub's comment limit, `path` gets a summary and the whole report goes
        beside it as `<name>.full.md` (attach it, as examples/ci/preview-on-pull-request.yml does)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        text = markdown(self)
        if len(text) <= COMMENT_BUDGET:
            path.write_text(text)
            return
        full = path.with_name(path.stem + ".full.md")
        full.write_text(text)
        path.write_text(summary_markdown(self, full.name, len(text)))


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
    parts = describe.field_texts(change.type, change.op, change.fields, change.inputs, change.old_inputs)
    parts += describe.notes(change.type, change.op, change.fields, change.inputs)
    text = f"{head} " + ", ".join(parts) if parts else head
    if change.outside:
        text += " [" + describe.outside_text(change.type, change.outside) + "]"
    return text


def tagged(report: FleetReport, stack: str, change: ResourceChange) -> str:
    """A drifted resource as the reports list it: `describe_resource`, then its finding's tag (`[new]`)."""
    text = describe_resource(change)
    tag = report.findings.tag(stack, change.name) if report.findings is not None else ""
    return f"{text} [{tag}]" if tag else text


def open_resources(report: FleetReport, s: StackOutcome) -> list[ResourceChange]:
    """A row's resources but the accepted ones (the reports list those apart)."""
    if report.findings is None:
        return s.resources
    return [r for r in s.resources if not report.findings.is_accepted(s.stack, r.name)]


def accepted_lines(report: FleetReport) -> list[str]:
    """`<stack>: <resource> ... [accepted until ...]`, one per accepted finding: the reports' own section."""
    if report.findings is None:
        return []
    return [f"{s.stack}: {tagged(report, s.stack, r)}" for s in report.stacks for r in s.resources
            if report.findings.is_accepted(s.stack, r.name)]


def engine_lines(report: FleetReport) -> list[str]:
    """preview/up as a scan: how many customers the scan decided alone, and why the engine ran for each
    of the others."""
    if not report.mode:
        return []
    ran = [s for s in report.stacks if s.engine and s.engine != "scan"]
    if report.operation == "up":
        head = (f"{report.skipped_unchanged} customer(s) skipped as unchanged (the scan planned nothing); "
                f"the engine ran for {len(ran)}")
    else:
        head = f"{len(report.stacks) - len(ran)} customer(s) planned by the scan; the engine's preview ran for {len(ran)}"
    return [head + (":" if ran else "")] + [f"  {s.stack}: {s.engine}" for s in ran]


def summary_line(report: FleetReport) -> str:
    parts = [f"{report.count(s)} {s}" for s in STATUSES if report.count(s)]
    return f"{len(report.stacks)} customer(s): " + (", ".join(parts) or "none")


_ICONS = {UNCHANGED: "✅", CHANGED: "📝", DRIFTED: "⚠️", FAILED: "❌", CANCELLED: "⏹️"}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def same_changes(stacks: list[StackOutcome]) -> tuple[list[tuple[list[str], list[str]]], set[str]]:
    """Customers whose planned changes read exactly alike, grouped: ([(change lines, customers)], the others).

    A thousand identical rows are unreadable; a change to a fleet default is one change on many customers."""
    by_change: dict[tuple[str, ...], list[str]] = {}
    for s in stacks:
        if s.resources and not s.error:
            by_change.setdefault(tuple(describe_resource(r) for r in s.resources), []).append(s.stack)
    groups = [(list(k), v) for k, v in by_change.items() if len(v) > 1]
    grouped = {n for _, names in groups for n in names}
    return groups, {s.stack for s in stacks if s.stack not in grouped}


def spec_change_groups(spec_changes: dict[str, list[str]]) -> list[tuple[list[str], list[str]]]:
    """Customers whose effective spec changed identically, grouped, the largest group first."""
    by_change: dict[tuple[str, ...], list[str]] = {}
    for name, changes in spec_changes.items():
        by_change.setdefault(tuple(changes), []).append(name)
    return sorted(((list(k), v) for k, v in by_change.items()), key=lambda g: -len(g[1]))


def markdown(report: FleetReport) -> str:
    """A report fit for a pull-request comment: a summary line, a table, details per changed customer."""
    title = f"cloudlink fleet {report.operation}"
    lines = [f"### {title}", "", f"**{summary_line(report)}** · exit code {int(report.exit_code)}"
             + (" · interrupted" if report.interrupted else "") + (f" · shard {report.shard}" if report.shard else ""),
             "", "| customer | labels | status | " + " | ".join(label for _, label in COLUMNS) + " | notes |",
             "|---|---|---|" + "--:|" * len(COLUMNS) + "---|"]
    rows = [s if report.findings is None else replace(s, resources=open_resources(report, s)) for s in report.stacks]
    for s, row in zip(report.stacks, rows):
        notes = s.error.splitlines()[0] if s.error else s.pending_note
        counts = [str(s.counts.get(op, 0)) for op, _ in COLUMNS]
        status = s.status + (" (accepted)" if s.status == DRIFTED and s.resources and not row.resources else "")
        lines.append(f"| `{s.stack}` | {_cell(s.labels_text)} | {_ICONS.get(s.status, '')} {status} | "
                     + " | ".join(counts) + f" | {_cell(notes)} |")
    if report.findings is not None:
        lines += [""] + [f"> {_cell(line)}" for line in report.findings.lines()]
    grouped, alone = same_changes(rows)
    for change_lines, names in grouped:
        lines += ["", f"**The same change on {len(names)} customers:**", ""]
        lines += [f"- {_cell(line)}" for line in change_lines]
        lines += ["", f"<details><summary>the {len(names)} customers</summary>", "",
                  ", ".join(f"`{n}`" for n in names), "", "</details>"]
    detailed = [s for s in rows if (s.resources and s.stack in alone) or s.error or s.warnings]
    for s in detailed:
        lines += ["", f"<details><summary><code>{s.stack}</code>: {s.status}</summary>", ""]
        lines += [f"- {_cell(tagged(report, s.stack, r))}" for r in s.resources]
        if s.error:
            lines += ["", "```", s.error.strip(), "```"]
        if s.notes:
            lines += [""] + [f"- note: {_cell(n)}" for n in s.notes]
        if s.warnings:
            lines += [""] + [f"- warning: {_cell(w)}" for w in s.warnings]
        lines += ["", "</details>"]
    accepted = accepted_lines(report)
    if accepted:
        lines += ["", f"#### Accepted drift ({len(accepted)}): does not fail the run", ""]
        lines += [f"- {_cell(line)}" for line in accepted]
    if report.mode:
        engine = engine_lines(report)
        lines += ["", engine[0]] + [f"- {_cell(line.strip())}" for line in engine[1:]]
    if report.rollout is not None:
        rollout = report.rollout.lines()
        lines += ["", f"#### {_cell(rollout[0])}", ""] + [f"- {_cell(line.strip())}" for line in rollout[1:]]
    if report.selected_by:
        lines += ["", f"Stacks selected: {_cell(report.selected_by)}"]
    if report.warnings:
        lines += [""] + [f"> ⚠️ {_cell(w)}" for w in report.warnings]
    if report.coverage_errors:
        lines += ["", "#### Coverage could not be listed", ""] + [f"- {_cell(e)}" for e in report.coverage_errors]
    for changes, names in spec_change_groups(report.spec_changes):
        what = "; ".join(f"`{_cell(c)}`" for c in changes)
        if len(names) == 1:
            lines += ["", f"Effective spec change on `{names[0]}`: {what}"]
        else:
            lines += ["", f"**The same change on {len(names)} customers:** {what}", "",
                      f"<details><summary>the {len(names)} customers</summary>", "",
                      ", ".join(f"`{n}`" for n in names), "", "</details>"]
    if report.unmanaged:
        lines += ["", f"#### In CloudLink, managed by no stack ({len(report.unmanaged)})", "",
                  "| account | what | adopt with |", "|---|---|---|"]
        lines += [f"| {_cell(u.account_name)} | {_cell(u.description)} | `{_cell(u.command)}` |"
                  for u in report.unmanaged]
    if report.standards is not None:
        lines += ["", report.standards.to_markdown().replace("## ", "#### ", 1).rstrip("\n")]
    return "\n".join(lines) + "\n"


def summary_markdown(report: FleetReport, full_name: str, full_length: int, listed: int = 100) -> str:
    """The report cut to fit one comment: the summary, the customers that failed (or drifted), the counts of
    planned changes, and where the whole report is."""
    title = f"cloudlink fleet {report.operation}"
    lines = [f"### {title}", "", f"**{summary_line(report)}** · exit code {int(report.exit_code)}"
             + (" · interrupted" if report.interrupted else "") + (f" · shard {report.shard}" if report.shard else ""),
             "", f"The whole report ({full_length:,} characters) is longer than one comment may be "
             f"({COMMENT_LIMIT:,}): it is attached as `{full_name}`.", ""]
    totals: dict[str, int] = {}
    for s in report.stacks:
        for r in s.resources:
            key = f"{r.op} {r.name} ({r.type})"
            totals[key] = totals.get(key, 0) + 1
    if totals:
        lines += ["| planned | customers |", "|---|--:|"]
        lines += [f"| {_cell(k)} | {n} |" for k, n in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    if report.findings is not None:
        lines += [""] + [f"> {_cell(line)}" for line in report.findings.lines()]
    for status in (FAILED, DRIFTED, CANCELLED):
        rows = [s for s in report.stacks if s.status == status and (status != DRIFTED or open_resources(report, s))]
        if not rows:
            continue
        lines += ["", f"<details><summary>{_ICONS.get(status, '')} {len(rows)} {status}</summary>", ""]
        for s in rows[:listed]:
            why = s.error.splitlines()[0] if s.error else ", ".join(f"{r.op} {r.name}" for r in s.resources[:4])
            lines.append(f"- `{s.stack}`: {_cell(why[:300])}")
        if len(rows) > listed:
            lines.append(f"- and {len(rows) - listed} more (in `{full_name}`)")
        lines += ["", "</details>"]
    if report.mode:
        engine = engine_lines(report)
        lines += ["", engine[0].rstrip(":")]
    if report.rollout is not None:
        lines += [""] + [f"- {_cell(line.strip())}" for line in report.rollout.lines()]
    if report.selected_by:
        lines += ["", f"Stacks selected: {_cell(report.selected_by)}"]
    if report.warnings:  # run-wide warnings (the public demo passphrase) are never cut
        lines += [""] + [f"> ⚠️ {_cell(w)}" for w in report.warnings]
    if report.coverage_errors:
        lines += ["", "#### Coverage could not be listed", ""] + [f"- {_cell(e)}" for e in report.coverage_errors]
    return "\n".join(lines) + "\n"
