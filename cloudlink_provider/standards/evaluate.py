"""The evaluation: every standard against every customer, with exceptions, into a report a partner acts on.

Per customer: each standard's finding (follows, violates, excepted, exception expired,
not applicable, cannot judge here) and an alignment score (the share of applicable
standards it follows, an excepted one counting as followed); per standard: how many
of the customers it applies to follow it ("SSO + Azure AD Sync: 812 of 1,000").
An expired exception is a violation again, and the finding says which exception
expired when. Pure: the same function serves `cloudlink fleet standards`, the drift
scan and the policy pack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Iterable

from .facts import Customer
from .model import Exception_, Standard, Standards
from .rules import failing, needs_live, shown

FOLLOWS, VIOLATES, EXCEPTED, EXPIRED = "follows", "violates", "excepted", "exception-expired"
NOT_APPLICABLE, UNKNOWN = "not-applicable", "cannot-judge"
BREAKING = (VIOLATES, EXPIRED)  # what counts as a violation
EXIT_VIOLATED = 5  # an alert or enforce standard is violated (fleet/errors.ExitCode.STANDARDS)


@dataclass
class Finding:
    standard: str
    mode: str
    status: str
    messages: list[str] = field(default_factory=list)
    exception: Exception_ | None = None

    @property
    def violated(self) -> bool:
        return self.status in BREAKING

    def text(self) -> str:
        """One line for a report: what is wrong, and the exception that covers (or covered) it."""
        body = "; ".join(self.messages)
        e = self.exception
        if self.status == EXCEPTED and e:
            return f"{body} [excepted until {e.expires}: {e.reason}]"
        if self.status == EXPIRED and e:
            return f"{body} [exception expired on {e.expires}: {e.reason}]"
        return body

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"standard": self.standard, "mode": self.mode, "status": self.status,
                                "messages": self.messages}
        if self.exception:
            data["exception"] = {"reason": self.exception.reason, "expires": self.exception.expires.isoformat(),
                                 "scope": self.exception.scope()}
        return data


@dataclass
class CustomerResult:
    customer: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None  # the customer could not be checked (its spec or state could not be read)

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.violated]

    @property
    def score(self) -> int | None:
        """Alignment in percent: followed (or excepted) of the applicable standards; None if it failed."""
        if self.error is not None:
            return None
        judged = [f for f in self.findings if f.status not in (NOT_APPLICABLE, UNKNOWN)]
        if not judged:
            return 100
        return round(100 * sum(1 for f in judged if not f.violated) / len(judged))

    def blocking(self) -> list[Finding]:
        """Violations of enforce standards: `up` must not write for this customer."""
        return [f for f in self.violations if f.mode == "enforce"]


@dataclass
class StandardsReport:
    standards: Standards
    today: date
    customers: list[CustomerResult] = field(default_factory=list)

    def tally(self, standard: Standard) -> tuple[int, int]:
        """(customers following it, customers it applies to and could be judged)."""
        findings = [f for c in self.customers for f in c.findings if f.standard == standard.id
                    and f.status not in (NOT_APPLICABLE, UNKNOWN)]
        return sum(1 for f in findings if not f.violated), len(findings)

    @property
    def exit_code(self) -> int:
        """1 a customer could not be checked; 5 an alert or enforce standard is violated; else 0."""
        if any(c.error for c in self.customers):
            return 1
        if any(f.mode in ("alert", "enforce") for c in self.customers for f in c.violations):
            return EXIT_VIOLATED
        return 0

    def to_json(self) -> dict[str, Any]:
        return {
            "operation": "standards", "date": self.today.isoformat(), "exitCode": self.exit_code,
            "file": self.standards.file,
            "standards": [{"id": s.id, "title": s.title, "source": s.source, "mode": s.mode, "select": s.select,
                           "follow": self.tally(s)[0], "of": self.tally(s)[1]} for s in self.standards.standards],
            "customers": [{"customer": c.customer, "score": c.score, "error": c.error,
                           "violations": len(c.violations),
                           "findings": [f.to_json() for f in c.findings]} for c in self.customers],
        }

    def write_json(self, path: Path) -> None:
        Path(path).write_text(json.dumps(self.to_json(), indent=2) + "\n")

    def to_markdown(self) -> str:
        lines = [f"## CloudLink standards ({self.today})", "", "| standard | mode | follow it |", "|---|---|--:|"]
        for s in self.standards.standards:
            follow, of = self.tally(s)
            lines.append(f"| {s.title} (`{s.id}`) | {s.mode} | {follow:,} of {of:,} |")
        lines += ["", "| customer | alignment | violations |", "|---|--:|---|"]
        for c in self.customers:
            if c.error:
                lines.append(f"| {c.customer} | - | could not be checked: {c.error} |")
                continue
            text = "<br>".join(f"**{f.standard}** ({f.mode}{', exception expired' if f.status == EXPIRED else ''}): "
                               f"{f.text()}" for f in c.violations) or "none"
            lines.append(f"| {c.customer} | {c.score}% | {text} |")
        excepted = [(c.customer, f) for c in self.customers for f in c.findings if f.status == EXCEPTED]
        if excepted:
            lines += ["", "<details><summary>Excepted</summary>", ""]
            lines += [f"- {name}: **{f.standard}**: {f.text()}" for name, f in excepted]
            lines += ["", "</details>"]
        return "\n".join(lines) + "\n"

    def write_markdown(self, path: Path) -> None:
        Path(path).write_text(self.to_markdown())


def _judge(standard: Standard, customer: Customer, today: date, live_reads: bool) -> tuple[str, list[str]]:
    if standard.builtin is not None:
        b = standard.builtin
        if not b.applies(customer, standard.params):
            return NOT_APPLICABLE, []
        problems = b.check(customer, standard.params, today)
        if problems is None:
            return UNKNOWN, ["needs live facts: checked by `cloudlink fleet standards`"]
        return (VIOLATES, problems) if problems else (FOLLOWS, [])
    if not live_reads and (needs_live(standard.when) or needs_live(standard.require)):
        return UNKNOWN, ["needs live facts: checked by `cloudlink fleet standards`"]
    if failing(standard.when, customer, today):
        return NOT_APPLICABLE, []
    broken = failing(standard.require, customer, today)
    if not broken:
        return FOLLOWS, []
    return VIOLATES, [f"expected {t.words()}, found {shown(customer.get(t.path, today))}" for t in broken]


def judge_customer(standards: Standards, customer: Customer, today: date, live_reads: bool = True) -> CustomerResult:
    result = CustomerResult(customer.name)
    for s in standards.standards:
        if not s.matches(customer.labels):
            result.findings.append(Finding(s.id, s.mode, NOT_APPLICABLE))
            continue
        status, messages = _judge(s, customer, today, live_reads)
        finding = Finding(s.id, s.mode, status, messages)
        if status == VIOLATES:
            covering = [e for e in standards.exceptions if e.standard == s.id and e.covers(customer.name,
                                                                                          customer.labels)]
            live = [e for e in covering if e.expires >= today]
            if live:
                finding.status, finding.exception = EXCEPTED, max(live, key=lambda e: e.expires)
            elif covering:
                finding.status, finding.exception = EXPIRED, max(covering, key=lambda e: e.expires)
        result.findings.append(finding)
    return result


def evaluate(standards: Standards, customers: Iterable[Customer], today: date | None = None,
             live_reads: bool = True, failed: dict[str, str] | None = None) -> StandardsReport:
    """Every standard against every customer. `failed`: customers that could not be read, with why."""
    today = today or date.today()
    report = StandardsReport(standards, today)
    report.customers = [judge_customer(standards, c, today, live_reads) for c in customers]
    report.customers += [CustomerResult(name, error=error) for name, error in (failed or {}).items()]
    report.customers.sort(key=lambda c: c.customer)
    return report
