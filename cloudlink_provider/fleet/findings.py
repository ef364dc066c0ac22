"""A drift run's findings: what is new since the last run, still there, resolved, or accepted in triage.

Owns the classification the nightly drift job acts on, and nothing else: it reads a
`FleetReport`'s rows (or a previous run's `--json`, as plain data), a parsed triage
file and today's date, and returns `Findings`. It reads and writes no file, asks no
one anything and runs nothing (the triage file and the history are moved by
`triage.py` and `history.py`); renderers, notifications and the dashboard only read
the fields it writes into the report's JSON:

- per drifted resource of a stack row, `"finding": {key, fingerprint, since, firstSeen, accepted, lapsed,
  fails}`; on a failed stack row the same block for the failure (key `<stack>/!failed`);
- top level: `history` (`previous`: when the last run was, `source`: where it was read), `resolved`,
  `accepted` (a count), `failOn`.

A finding is one drifted resource of one customer. Its `key` is `<stack>/<resource>/<field>`, the field
being the one field that drifted, or `*` when several did or the resource is gone; its `fingerprint` is a
short hash of the drifted values (op, deleted outside, each field's live and wanted value, secrets
already masked), so a value that changed since yesterday (or since it was accepted) is told from the same
one. A failed customer is a finding too (`<stack>/!failed`, fingerprinted by its error's first line).

The rules:
- new: the key was not in the previous run, or its fingerprint differs; still: the same key and fingerprint
  (`firstSeen` carries over); with no previous run everything is new (this run is the baseline);
- resolved: a previous finding of a stack this run checked that is gone (a stack that failed now does not
  resolve its drift: it was not seen; its failure is its finding);
- accepted: a triage entry for the customer (by name or label selector), resource and field (`*` for any)
  with the same fingerprint that has not expired: reported apart, never fails the run;
- lapsed: an entry matches but expired, or the value changed since it was accepted: fails again;
- fails: drift that is not accepted fails with `--fail-on any` (the default); with `--fail-on new` only a
  new finding or a lapsed acceptance does. Failures are never accepted; with `--fail-on new` only a new one
  fails the run.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator, model_validator

from ..customer.selectors import SelectorError, parse_selector
from .report import CANCELLED, DRIFTED, FAILED, FleetReport, StackOutcome

NEW, STILL = "new", "still"
FAIL_ON = ("new", "any")
DRIFT, FAILURE = "drift", "failure"
FAILED_KEY = "!failed"    # the resource part of a failure's key
DRIFTED_KEY = "!drifted"  # a drifted row without resource detail (never expected; kept so it still fails)
ANY_FIELD = "*"
TRIAGE_FILE = "drift-accepted.yaml"
NO_PREVIOUS = "no previous run: this run is the baseline (every finding is new)"


def fingerprint(data: Any) -> str:
    """A short, stable hash of plain data (canonical JSON)."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def resource_facts(resource: Mapping[str, Any]) -> tuple[str, str]:
    """(field, fingerprint) of one drifted resource, from its JSON form (`ResourceChange.to_json()`)."""
    fields = sorted(resource.get("fields") or [], key=lambda f: str(f.get("field")))
    deleted = bool(resource.get("deletedOutside"))
    names = sorted({str(f.get("field")) for f in fields})
    which = names[0] if len(names) == 1 and not deleted else ANY_FIELD
    values = {"op": resource.get("op"), "deletedOutside": deleted,
              "fields": [[f.get("field"), f.get("old"), f.get("new")] for f in fields]}
    return which, fingerprint(values)


def failure_fingerprint(error: str | None) -> str:
    first = (error or "").strip().splitlines()
    return fingerprint(first[0] if first else "")


@dataclass(frozen=True)
class Seen:
    """A finding as a run saw it: what the classification compares."""
    key: str
    stack: str
    resource: str
    field: str
    fingerprint: str
    kind: str
    first_seen: str | None = None


def _key(stack: str, resource: str, field_: str) -> str:
    return f"{stack}/{resource}/{field_}" if resource not in (FAILED_KEY, DRIFTED_KEY) else f"{stack}/{resource}"


def seen_in_row(row: Mapping[str, Any]) -> list[Seen]:
    """The findings of one stack row in the report's JSON form (this run's or a previous run's)."""
    stack, status = str(row.get("stack")), row.get("status")
    if status == FAILED:
        done = row.get("finding") or {}
        return [Seen(_key(stack, FAILED_KEY, ""), stack, FAILED_KEY, "", done.get("fingerprint")
                     or failure_fingerprint(row.get("error")), FAILURE, done.get("firstSeen"))]
    if status != DRIFTED:
        return []
    out = []
    for r in row.get("resources") or []:
        done = r.get("finding") or {}
        which, print_ = resource_facts(r)
        key = done.get("key") or _key(stack, str(r.get("name")), which)
        out.append(Seen(key, stack, str(r.get("name")), which, done.get("fingerprint") or print_, DRIFT,
                        done.get("firstSeen")))
    if not out:
        out.append(Seen(_key(stack, DRIFTED_KEY, ""), stack, DRIFTED_KEY, "", fingerprint("drifted"), DRIFT))
    return out


# --- the triage file -----------------------------------------------------------------------------------------
class TriageError(ValueError):
    """A triage file that does not load; the message is one line naming the file and the field."""


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    customer: str | None = None
    select: str | None = None
    resource: str
    field: str = ANY_FIELD
    fingerprint: str
    reason: str
    by: str
    expires: date

    @field_validator("resource", "field", "fingerprint", "reason", "by")
    @classmethod
    def _not_empty(cls, value: str) -> str:
        if not value:
            raise ValueError("must not be empty")
        return value

    @model_validator(mode="after")
    def _one_scope(self) -> "_Entry":
        if (self.customer is None) == (self.select is None):
            raise ValueError("name either one customer (customer: <stack>) or a selector (select: ...)")
        return self


class _File(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accepted: list[_Entry] = []


@dataclass(frozen=True)
class Acceptance:
    """One reviewed entry of the triage file."""
    customer: str | None
    select: str | None
    resource: str
    field: str
    fingerprint: str
    reason: str
    by: str
    expires: date
    entry: str  # `<file>:<line>` (or `<file>:#<index>` when no line is known)
    matches: Callable[[Mapping[str, str]], bool] = field(compare=False, repr=False, default=lambda _: True)

    def covers(self, stack: str, labels: Mapping[str, str], resource: str, field_: str) -> bool:
        if self.resource != resource or self.field not in (ANY_FIELD, field_):
            return False
        return self.customer == stack if self.customer is not None else self.matches(labels)

    def to_json(self) -> dict[str, Any]:
        return {"reason": self.reason, "by": self.by, "expires": self.expires.isoformat(), "entry": self.entry}


@dataclass(frozen=True)
class Triage:
    file: str
    entries: tuple[Acceptance, ...] = ()


_MESSAGES = {"missing": "is required", "extra_forbidden": "is not a field of an entry (customer or select, "
             "resource, field, fingerprint, reason, by, expires)", "list_type": "must be a list of entries (- ...)",
             "model_type": "must be a block of `field: value` lines", "string_type": "must be text",
             "date_from_datetime_parsing": "must be a date like 2027-06-30",
             "date_parsing": "must be a date like 2027-06-30", "date_type": "must be a date like 2027-06-30",
             "date_from_datetime_inexact": "must be a date like 2027-06-30"}


def _where(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (("." if out else "") + str(part))
    return out


def _message(error: Mapping[str, Any]) -> str:
    kind = str(error.get("type", ""))
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    text = str(error.get("msg", "is not valid"))
    return text.removeprefix("Value error, ")


def parse_triage(data: Any, file: str, lines: Mapping[int, int] | None = None) -> Triage:
    """The triage file's content -> Triage, or TriageError (one line: file, entry, field, what is wrong).
    `lines`: entry index -> its line in the file (for `entry` references)."""
    if data is None:
        return Triage(file)
    if not isinstance(data, Mapping):
        raise TriageError(f"{file}: must be a block with `accepted:` (a list of entries)")
    try:
        parsed = _File.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        loc = tuple(p for p in first.get("loc", ()) if not (isinstance(p, str) and p.startswith("function-")))
        where = _where(loc)
        raise TriageError(f"{file}: {where + ': ' if where else ''}{_message(first)}") from None
    entries = []
    for i, e in enumerate(parsed.accepted):
        matches: Callable[[Mapping[str, str]], bool] = lambda _: True  # noqa: E731 - by name
        if e.select is not None:
            try:
                matches = parse_selector(e.select)
            except SelectorError as err:
                raise TriageError(f"{file}: accepted[{i}].select: {err}") from None
        line = (lines or {}).get(i)
        ref = f"{file}:{line}" if line else f"{file}:#{i}"
        entries.append(Acceptance(e.customer, e.select, e.resource, e.field, e.fingerprint, e.reason, e.by,
                                  e.expires, ref, matches))
    return Triage(file, tuple(entries))


# --- the classification --------------------------------------------------------------------------------------
@dataclass
class Finding:
    key: str
    stack: str
    resource: str
    field: str
    fingerprint: str
    kind: str  # drift | failure
    since: str  # new | still
    first_seen: str
    accepted: Acceptance | None = None
    lapsed: str | None = None  # why an acceptance no longer holds (expired, value changed), with the entry
    fails: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "fingerprint": self.fingerprint, "since": self.since, "firstSeen": self.first_seen,
                "accepted": self.accepted.to_json() if self.accepted else None, "lapsed": self.lapsed,
                "fails": self.fails}


@dataclass(frozen=True)
class Resolved:
    key: str
    stack: str
    resource: str
    since: str  # when it was first seen

    def to_json(self) -> dict[str, Any]:
        return {"key": self.key, "stack": self.stack, "resource": self.resource, "since": self.since}


@dataclass
class Findings:
    """This run's findings, classified; `FleetReport.findings` holds it and writes its fields into the JSON."""
    items: list[Finding] = field(default_factory=list)
    resolved: list[Resolved] = field(default_factory=list)
    fail_on: str = "any"
    previous: str | None = None  # when the previous run started (ISO); None: no previous run
    source: str | None = None    # where the previous run was read (and this one is kept)

    @property
    def accepted(self) -> list[Finding]:
        return [f for f in self.items if f.accepted is not None]

    def of(self, kind: str) -> list[Finding]:
        return [f for f in self.items if f.kind == kind]

    def failing(self, kind: str) -> int:
        return sum(1 for f in self.items if f.kind == kind and f.fails)

    @property
    def baseline(self) -> bool:
        return self.source is not None and self.previous is None

    def annotate(self, row: dict[str, Any]) -> None:
        """Write each finding into its stack row of the report's JSON (in place)."""
        by_key = {f.key: f for f in self.items if f.stack == row.get("stack")}
        for seen in seen_in_row(row):
            found = by_key.get(seen.key)
            if found is None:
                continue
            if seen.kind == FAILURE or seen.resource == DRIFTED_KEY:
                row["finding"] = found.to_json()
                continue
            for r in row.get("resources") or []:
                if str(r.get("name")) == seen.resource and "finding" not in r:
                    r["finding"] = found.to_json()
                    break

    def to_json(self) -> dict[str, Any]:
        return {"history": {"previous": self.previous, "source": self.source},
                "resolved": [r.to_json() for r in self.resolved], "accepted": len(self.accepted),
                "failOn": self.fail_on}

    def find(self, stack: str, resource: str) -> Finding | None:
        return next((f for f in self.items if f.stack == stack and f.resource == resource), None)

    def is_accepted(self, stack: str, resource: str) -> bool:
        f = self.find(stack, resource)
        return f is not None and f.accepted is not None

    def tag(self, stack: str, resource: str) -> str:
        """`new`, `still there since <first seen>`, `accepted until <day> by <who>: <reason>`, or `fails again:
        <why>`, for one drifted resource (or `!failed`); empty when it has no finding."""
        f = self.find(stack, resource)
        if f is None:
            return ""
        if f.accepted is not None:
            a = f.accepted
            return f"accepted until {a.expires.isoformat()} by {a.by}: {a.reason}"
        text = "new" if f.since == NEW else f"still there since {f.first_seen}"
        return f"{text}; fails again: {f.lapsed}" if f.lapsed else text

    def lines(self) -> list[str]:
        """What the history and the triage say, for the terminal and the Markdown report (plain sentences);
        nothing for a clean run without history."""
        if self.source is None and not self.items and not self.resolved:
            return []
        out = []
        if self.source is not None:
            out.append(NO_PREVIOUS if self.previous is None else f"compared with the run of {self.previous} "
                       f"({self.source})")
        new = [f for f in self.items if f.since == NEW]
        out.append(f"findings: {len(new)} new, {len(self.items) - len(new)} still there, {len(self.resolved)} "
                   f"resolved, {len(self.accepted)} accepted; --fail-on {self.fail_on}")
        if self.source is not None:
            out += [f"failed: {f.stack} ({'new' if f.since == NEW else 'still failing, since ' + f.first_seen})"
                    for f in self.of(FAILURE)]
        out += [f"resolved: {r.key} (first seen {r.since})" for r in self.resolved]
        return out


def _triage(found: Finding, labels: Mapping[str, str], triage: Triage | None, today: date) -> None:
    if triage is None or found.kind != DRIFT:
        return
    covering = [a for a in triage.entries if a.covers(found.stack, labels, found.resource, found.field)]
    same = [a for a in covering if a.fingerprint == found.fingerprint]
    live = [a for a in same if a.expires >= today]
    if live:
        found.accepted = max(live, key=lambda a: a.expires)
    elif same:
        last = max(same, key=lambda a: a.expires)
        found.lapsed = f"the acceptance expired on {last.expires.isoformat()} ({last.entry})"
    elif covering:
        found.lapsed = f"the value changed since it was accepted ({covering[0].entry})"


def classify(stacks: Iterable[StackOutcome | Mapping[str, Any]], previous: Mapping[str, Any] | None,
             triage: Triage | None, today: date, now: str, fail_on: str = "any",
             source: str | None = None) -> Findings:
    """This run's rows (outcomes, or their JSON) against the previous run's JSON and the triage file.
    `now`: this run's start (ISO), the `firstSeen` of what is new; `source`: where the history lives
    (None: no history asked for, so nothing is resolved and everything is new)."""
    if fail_on not in FAIL_ON:
        raise ValueError(f"--fail-on must be one of {', '.join(FAIL_ON)}")
    rows = [s.to_json() if isinstance(s, StackOutcome) else dict(s) for s in stacks]
    labels = {str(r.get("stack")): dict(r.get("labels") or {}) for r in rows}
    before: dict[str, Seen] = {}
    previous_at = None
    if previous is not None:
        previous_at = previous.get("startedAt")
        for row in previous.get("stacks") or []:
            for seen in seen_in_row(row):
                before[seen.key] = seen
    out = Findings(fail_on=fail_on, previous=previous_at, source=source)
    for row in rows:
        for seen in seen_in_row(row):
            old = before.get(seen.key)
            still = old is not None and old.fingerprint == seen.fingerprint
            first = (old.first_seen or previous_at or now) if still and old is not None else now
            found = Finding(seen.key, seen.stack, seen.resource, seen.field, seen.fingerprint, seen.kind,
                            STILL if still else NEW, first)
            _triage(found, labels.get(seen.stack, {}), triage, today)
            if found.accepted is not None:
                found.fails = False
            elif fail_on == "new":
                found.fails = found.since == NEW or found.lapsed is not None
            out.items.append(found)
    now_keys = {f.key for f in out.items}
    status = {str(r.get("stack")): r.get("status") for r in rows}
    for key, seen in before.items():
        if key in now_keys or seen.stack not in status or status[seen.stack] == CANCELLED:
            continue
        if seen.kind == DRIFT and status[seen.stack] == FAILED:
            continue  # not seen this time: the customer could not be checked
        out.resolved.append(Resolved(key, seen.stack, seen.resource, seen.first_seen or previous_at or now))
    return out


def classify_report(report: FleetReport, previous: Mapping[str, Any] | None, triage: Triage | None,
                    today: date, fail_on: str = "any", source: str | None = None) -> Findings:
    """`classify` for a report; sets `report.findings` (its JSON and exit code then follow the findings)."""
    report.findings = classify(report.stacks, previous, triage, today, report.started_at, fail_on, source)
    return report.findings


def acceptances_for(findings: Findings, reason: str, by: str, expires: date) -> list[dict[str, Any]]:
    """Triage entries (as the file writes them) for every drift finding not accepted yet: `--accept`."""
    out = []
    for f in findings.of(DRIFT):
        if f.accepted is not None or f.resource == DRIFTED_KEY:
            continue
        out.append({"customer": f.stack, "resource": f.resource, "field": f.field, "fingerprint": f.fingerprint,
                    "reason": reason, "by": by, "expires": expires})
    return out


__all__ = ["Acceptance", "FAIL_ON", "Finding", "Findings", "NEW", "NO_PREVIOUS", "Resolved", "STILL", "TRIAGE_FILE",
           "Triage", "TriageError", "acceptances_for", "classify", "classify_report", "fingerprint", "parse_triage",
           "seen_in_row"]
