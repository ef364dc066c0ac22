"""How a fleet run looks in a terminal: a live progress view while it runs, a per-customer table after.

Owns the rich rendering only. On a terminal it is a `Live` table (one row per
customer: queued, running with the engine's current step, done); elsewhere (CI
logs, pipes) one line per customer as it finishes. It is told what happens by
the runner (it is its `Listener`) and never decides anything.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from ...standards import StandardsReport
from ...standards.evaluate import EXCEPTED, EXPIRED
from ..report import (CANCELLED, CHANGED, COLUMNS, DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome,
                     accepted_lines, describe_resource, engine_lines, open_resources, summary_line,
                     tagged)

PLAIN_ROWS = 100  # above this many customers the final table is plain text (rich tables measure every cell)
STYLE = {UNCHANGED: "green", CHANGED: "cyan", DRIFTED: "yellow", FAILED: "red", CANCELLED: "magenta"}
MARK = {UNCHANGED: "✓", CHANGED: "~", DRIFTED: "!", FAILED: "✗", CANCELLED: "■"}


class FleetView:
    """The runner's listener: `with view:` shows progress; `print_report()` prints the final table."""

    def __init__(self, console: Console, names: list[str], operation: str, parallel: int):
        self.console = console
        self.operation = operation
        self.parallel = parallel
        self._lock = threading.Lock()
        self._rows: dict[str, dict[str, Any]] = {n: {"state": "queued", "text": "", "start": None} for n in names}
        self._note = ""
        self._live: Live | None = None

    # -- Listener -----------------------------------------------------------------------------
    def started(self, stack: str) -> None:
        with self._lock:
            self._rows[stack].update(state="running", text="selecting stack", start=time.monotonic())

    def activity(self, stack: str, text: str) -> None:
        with self._lock:
            self._rows[stack]["text"] = text

    def finished(self, outcome: StackOutcome) -> None:
        with self._lock:
            self._rows[outcome.stack].update(state=outcome.status, text=_brief(outcome))
        if self._live is None:
            brief = _brief(outcome)
            self.console.print(Text.assemble((MARK.get(outcome.status, "?"), STYLE.get(outcome.status, "")),
                                             f" {outcome.stack}: {outcome.status}"
                                             f"{' - ' + brief if brief else ''} ({outcome.duration_s:.1f}s)"))

    def interrupted(self, hard: bool) -> None:
        with self._lock:
            self._note = ("second interrupt: terminating the engines now" if hard else
                          "interrupted: cancelling running operations (Ctrl-C again to terminate)")
        if self._live is None:
            self.console.print(Text(self._note, style="magenta"))

    def tick(self) -> None:
        if self._live is not None:
            self._live.update(self._render())

    # -- live view ----------------------------------------------------------------------------
    def __enter__(self) -> "FleetView":
        if self.console.is_terminal:
            self._live = Live(self._render(), console=self.console, refresh_per_second=8, transient=True)
            self._live.__enter__()
        else:
            self.console.print(f"cloudlink fleet {self.operation}: {len(self._rows)} customer(s), "
                               f"{self.parallel} at a time", highlight=False, markup=False)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def _render(self) -> Any:
        with self._lock:
            rows = {k: dict(v) for k, v in self._rows.items()}
            note = self._note
        done = sum(1 for r in rows.values() if r["state"] not in ("queued", "running"))
        table = Table(title=f"cloudlink fleet {self.operation}: {done}/{len(rows)} done", expand=False)
        table.add_column("customer", no_wrap=True)
        table.add_column("state", no_wrap=True)
        table.add_column("step")
        table.add_column("time", justify="right", no_wrap=True)
        now = time.monotonic()
        for name, row in rows.items():
            state = row["state"]
            elapsed = f"{now - row['start']:.0f}s" if row["start"] and state == "running" else ""
            style = STYLE.get(state, "dim" if state == "queued" else "bold")
            table.add_row(Text(name), Text(state, style=style), Text(row["text"]), elapsed)
        return Group(table, Text(note, style="magenta")) if note else table

    # -- final report -------------------------------------------------------------------------
    def print_report(self, report: FleetReport) -> None:
        if len(report.stacks) > PLAIN_ROWS:
            self._print_plain(report)
        else:
            self._print_rich(report)
        self._print_footer(report)

    def _print_plain(self, report: FleetReport) -> None:
        """A large fleet's table and changes as plain aligned text in one write: a rich table of a thousand
        rows takes seconds to measure, which a whole-fleet preview cannot afford."""
        head = ["customer", "status", *(label for _, label in COLUMNS), "drifted", "failure / notes"]
        rows = [[s.stack, s.status, *(str(s.counts.get(op, 0)) for op, _ in COLUMNS),
                 "yes" if s.status == DRIFTED else "",
                 " / ".join((s.error or s.pending_note).strip().splitlines())] for s in report.stacks]
        widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head) - 1)]
        lines = [f"cloudlink fleet {report.operation}"]
        for row in [head, *rows]:
            cells = [c.ljust(w) if k < 2 else c.rjust(w) for k, (c, w) in enumerate(zip(row, widths))]
            lines.append("  ".join(cells + [row[-1]]).rstrip())
        for s in report.stacks:
            if open_resources(report, s):
                lines.append(s.stack)
                lines += [f"  {tagged(report, s.stack, change)}" for change in open_resources(report, s)]
            lines += [f"{s.stack} standard {p.standard} ({p.level}): {p.message}"
                      for p in s.policies if p.level != "mandatory"]  # (mandatory ones are the failure itself)
            if report.debug and s.detail:
                lines += [f"{s.stack} failed (--debug):", s.detail.strip()]
        self.console.print("\n".join(lines), highlight=False, markup=False, soft_wrap=True)

    def _print_rich(self, report: FleetReport) -> None:
        table = Table(title=f"cloudlink fleet {report.operation}")
        table.add_column("customer", no_wrap=True)
        table.add_column("labels")
        table.add_column("status", no_wrap=True)
        for _, label in COLUMNS:
            table.add_column(label, justify="right")
        table.add_column("drifted", justify="center")
        table.add_column("failure / notes")
        for s in report.stacks:
            status = s.status + (" (accepted)" if s.resources and not open_resources(report, s) else "")
            table.add_row(Text(s.stack), Text(s.labels_text), Text(status, style=STYLE.get(s.status, "")),
                          *[str(s.counts.get(op, 0)) for op, _ in COLUMNS],
                          "yes" if s.status == DRIFTED else "",
                          Text(s.error.strip() if s.error else s.pending_note))  # the whole 1-3 lines, as in JSON/Markdown
        self.console.print(table)
        for s in report.stacks:
            if open_resources(report, s):
                self.console.print(Text(s.stack, style="bold"))
                for change in open_resources(report, s):
                    self.console.print(f"  {tagged(report, s.stack, change)}", highlight=False, markup=False)
            for p in s.policies:
                if p.level != "mandatory":  # (mandatory ones are the failure itself)
                    self.console.print(Text.assemble((s.stack, "bold"), f" standard {p.standard} ({p.level}): ",
                                                     p.message))
            if report.debug and s.detail:
                self.console.print(Text.assemble((s.stack, "bold"), " ", ("failed (--debug):", "red")))
                self.console.print(s.detail.strip(), highlight=False, markup=False)

    def _print_footer(self, report: FleetReport) -> None:
        if report.selected_by:
            self.console.print(f"stacks selected: {report.selected_by}", highlight=False, markup=False)
        if report.unmanaged:
            table = Table(title=f"in CloudLink, managed by no stack ({len(report.unmanaged)})")
            for column in ("account", "what", "adopt with"):
                table.add_column(column)
            for u in report.unmanaged:
                table.add_row(Text(u.account_name), Text(u.description), Text(u.command))
            self.console.print(table)
        accepted = accepted_lines(report)
        if accepted:
            self.console.print(Text(f"accepted drift ({len(accepted)}), does not fail the run:", style="bold"))
            for line in accepted:
                self.console.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
        for line in (report.findings.lines() if report.findings is not None else ()):
            self.console.print(line, highlight=False, markup=False, soft_wrap=True)
        for error in report.coverage_errors:
            self.console.print(Text(f"coverage: {error}", style="red"))
        for warning in report.warnings:
            self.console.print(Text(warning, style="bold yellow"))
        if report.standards is not None:
            print_standards(self.console, report.standards)
        for line in engine_lines(report):
            self.console.print(line, highlight=False, markup=False, soft_wrap=True)
        if report.rollout is not None:
            for line in report.rollout.lines():
                self.console.print(line, highlight=False, markup=False, soft_wrap=True)
        for stack, why in (report.handed_to_engine.items() if not report.mode else ()):  # drift's hand-offs
            self.console.print(f"{stack}: {why}", highlight=False, markup=False)
        if report.checkpoints:
            self.console.print(f"checkpoints read {READERS.get(report.checkpoints, report.checkpoints)}",
                               highlight=False, markup=False)
        if report.released_locks:
            self.console.print("released locks left by interrupted engines: " + ", ".join(report.released_locks),
                               markup=False)
        self.console.print(f"{summary_line(report)}; exit code {int(report.exit_code)} "
                           f"({report.duration_s:.1f}s)", highlight=False, markup=False)


READERS = {"file": "from the file:// backend", "postgres": "from the PostgreSQL table",
           "s3": "natively from S3 (one listing, bounded reads)", "azblob": "natively from Azure Blob Storage "
           "(one listing, bounded reads)", "gs": "natively from Google Cloud Storage (one listing, bounded reads)",
           "export": "by `pulumi stack export`, one engine process per customer (no native reader for this backend)"}


def _brief(outcome: StackOutcome) -> str:
    if outcome.error:
        return outcome.error.strip().splitlines()[0][:160]
    changed = [f"{outcome.counts.get(op, 0)} {label}" for op, label in COLUMNS if op != "same" and outcome.counts.get(op)]
    if outcome.status == DRIFTED and outcome.resources:
        return "; ".join(describe_resource(r) for r in outcome.resources)
    return ", ".join(changed)


def print_standards(console: Console, report: StandardsReport) -> None:
    """A standards.StandardsReport as two tables: per standard "N of M follow it", per customer its score and
    violations (an expired exception says so)."""
    table = Table(title=f"standards ({report.standards.file}, {report.today})")
    for column, justify in (("standard", "left"), ("mode", "left"), ("follow it", "right"), ("source", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for s in report.standards.standards:
        follow, of = report.tally(s)
        table.add_row(Text(f"{s.title} ({s.id})"), s.mode, f"{follow:,} of {of:,}", Text(s.source))
    console.print(table)
    table = Table(title="alignment per customer")
    for column, justify in (("customer", "left"), ("alignment", "right"), ("violations (and exceptions)", "left")):
        table.add_column(column, justify=justify)  # type: ignore[arg-type]
    for c in report.customers:
        if c.error:
            table.add_row(Text(c.customer), "-", Text(f"could not be checked: {c.error}", style="red"))
            continue
        lines = [f"{f.standard} ({f.mode}{', exception expired' if f.status == EXPIRED else ''}): {f.text()}"
                 for f in c.violations]
        lines += [f"{f.standard}: {f.text()}" for f in c.findings if f.status == EXCEPTED]
        style = "red" if c.violations else ""
        table.add_row(Text(c.customer), f"{c.score}%", Text("\n".join(lines) or "follows every standard", style=style))
    console.print(table)
