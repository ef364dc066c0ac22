"""What a notification says, pure: a report's JSON -> the findings a target asked for, grouped by cause.

A finding's `since` comes from the run's history (fleet/findings.py writes `finding: {since: new|still,
accepted, lapsed, ...}` on each drifted resource and on each failed row); without history every
finding is new. Accepted findings (triage) are never sent; one whose acceptance lapsed is news again.
A failed customer is one failure; `resolved` lists what the last run had and this one does not. The same
change on many customers (a fleet default edited behind Pulumi's back) is one `Group`, the way the
Markdown report and the dashboard show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ...customer.selectors import parse_selector

DRIFT, FAILURE, RESOLVED = "drift", "failure", "resolved"
NEW, STILL = "new", "still"


@dataclass(frozen=True)
class Item:
    """One thing to say: a drifted resource, a failed customer or a resolved finding, of one customer."""
    kind: str      # drift | failure | resolved
    customer: str
    text: str      # the resource's description, the failure's first line, what was resolved
    since: str = NEW
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def event(self) -> str:
        """The event name a target's `on:` lists: new-drift, drift, new-failure, failure, resolved."""
        if self.kind == RESOLVED:
            return RESOLVED
        return f"new-{self.kind}" if self.since == NEW else self.kind


@dataclass(frozen=True)
class Group:
    """The same finding on one or more customers."""
    kind: str
    text: str
    customers: tuple[str, ...]
    new: tuple[str, ...]  # those of `customers` for whom it is new since the last run

    @property
    def event(self) -> str:
        if self.kind == RESOLVED:
            return RESOLVED
        return f"new-{self.kind}" if self.new else self.kind


@dataclass(frozen=True)
class Digest:
    """What one target is told about one run."""
    operation: str
    started_at: str
    exit_code: int
    totals: Mapping[str, int]
    items: tuple[Item, ...]
    accepted: int = 0  # findings accepted by triage, left out of every message
    history: bool = False  # whether the run compared itself with a last run (else everything is new)

    @property
    def empty(self) -> bool:
        return not self.items

    def of(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    def groups(self, kind: str | None = None) -> list[Group]:
        return group(i for i in self.items if kind is None or i.kind == kind)

    def headline(self) -> str:
        """`2 new drift findings, 1 new failure, 1 resolved on cloudlink fleet drift` (what a chat shows first)."""
        parts = []
        for kind, word in ((DRIFT, "drift finding"), (FAILURE, "failure"), (RESOLVED, "resolved")):
            items = self.of(kind)
            if not items:
                continue
            new = sum(1 for i in items if i.since == NEW)
            if kind == RESOLVED:
                parts.append(f"{len(items)} resolved")
            elif new == len(items):
                parts.append(f"{new} new {word}{'s' if new != 1 else ''}")
            else:
                parts.append(f"{len(items)} {word}{'s' if len(items) != 1 else ''} ({new} new)")
        return (", ".join(parts) or "nothing new") + f" on cloudlink fleet {self.operation}"

    def totals_line(self) -> str:
        shown = [f"{n} {k}" for k, n in self.totals.items() if k != "stacks" and n]
        return f"{self.totals.get('stacks', 0)} customer(s): " + (", ".join(shown) or "none") + \
            f"; exit code {self.exit_code}"


def group(items: Iterable[Item]) -> list[Group]:
    """Items with the same kind and text, one group each; the most customers first, then by text."""
    by: dict[tuple[str, str], list[Item]] = {}
    for item in items:
        by.setdefault((item.kind, item.text), []).append(item)
    groups = [Group(kind, text, tuple(sorted({i.customer for i in same})),
                    tuple(sorted({i.customer for i in same if i.since == NEW})))
              for (kind, text), same in by.items()]
    order = {DRIFT: 0, FAILURE: 1, RESOLVED: 2}
    return sorted(groups, key=lambda g: (order.get(g.kind, 9), not g.new, -len(g.customers), g.text))


def _since(value: Any) -> str:
    return STILL if value == STILL else NEW  # no history: everything is new


def _finding(holder: Mapping[str, Any]) -> str | None:
    """`new`/`still` from a row's or a resource's `finding` (fleet/findings.py); an acceptance that lapsed
    (expired, or the value changed) fails again, so it is news."""
    finding = holder.get("finding")
    if not isinstance(finding, Mapping):
        return None
    return NEW if finding.get("lapsed") else finding.get("since")


def findings(report: Mapping[str, Any]) -> list[Item]:
    """Every drift finding, failure and resolution in a report's JSON, accepted findings left out."""
    items: list[Item] = []
    for row in report.get("stacks") or []:
        labels = row.get("labels") or {}
        if row.get("status") == "failed":
            text = (row.get("error") or "failed").splitlines()[0]
            items.append(Item(FAILURE, row["stack"], text, _since(_finding(row)), labels))
        if row.get("status") != "drifted":
            continue
        for resource in row.get("resources") or []:
            finding = resource.get("finding") if isinstance(resource.get("finding"), Mapping) else {}
            if finding.get("accepted") and not finding.get("lapsed"):
                continue
            text = resource.get("description") or f"{resource.get('name')} ({resource.get('type')}): {resource.get('op')}"
            items.append(Item(DRIFT, row["stack"], text, _since(_finding(resource)), labels))
    labels_of = {row["stack"]: row.get("labels") or {} for row in report.get("stacks") or []}
    for entry in report.get("resolved") or []:
        customer, text = _resolved(entry)
        items.append(Item(RESOLVED, customer, text, NEW, labels_of.get(customer, {})))
    return items


def _resolved(entry: Any) -> tuple[str, str]:
    """(customer, what) of one `resolved` entry, whatever keys the history writes."""
    if not isinstance(entry, Mapping):
        return "", str(entry)
    customer = str(entry.get("stack") or entry.get("customer") or "")
    text = entry.get("description") or entry.get("key") or entry.get("resource") or ""
    since = f" (first seen {entry['since']})" if entry.get("since") else ""
    return customer, f"{text}: no longer found{since}"


def _accepted_count(report: Mapping[str, Any]) -> int:
    accepted = report.get("accepted")
    if isinstance(accepted, list):
        return len(accepted)
    if isinstance(accepted, int) and not isinstance(accepted, bool):
        return accepted
    if isinstance(accepted, Mapping):
        count = accepted.get("count", accepted.get("findings"))
        return len(count) if isinstance(count, list) else int(count or 0)
    return 0


def digest(report: Mapping[str, Any], on: Iterable[str], select: str | None = None) -> Digest:
    """What a target with `on:` events and a `select:` label selector is told about this report."""
    wanted = set(on)
    chosen = parse_selector(select) if select else None
    items = tuple(i for i in findings(report) if i.event in wanted or (i.kind != RESOLVED and i.kind in wanted)
                  if chosen is None or chosen(dict(i.labels)))
    return Digest(str(report.get("operation", "drift")), str(report.get("startedAt", "")),
                  int(report.get("exitCode", 0)), dict(report.get("totals") or {}), items,
                  _accepted_count(report), had_history(report))


def had_history(report: Mapping[str, Any]) -> bool:
    """Whether the run was compared with a previous one (`history.previous`, fleet/findings.py)."""
    history = report.get("history")
    return isinstance(history, Mapping) and bool(history.get("previous"))
