"""The standards file, `stacks/standards.yaml` beside the fleet file: its model and its loading.

    standards:                       # built-in standards the partner turns on (all are off otherwise)
      sso-and-sync: {mode: alert}
      sso-certificate-expiry: {mode: alert, warnDays: 45, select: "tier=gold"}
    rules:                           # the partner's own (rules.py has the condition form)
      - {id: gold-has-scim, title: ..., mode: enforce, select: tier=gold, require: {sso.scim: true}}
    exceptions:                      # reviewed in the same repository
      - {standard: sso-and-sync, customer: harbour-health, reason: "...", expires: 2027-06-30}
      - {standard: gold-has-scim, select: "wave=3", reason: "...", expires: 2027-01-31}

Modes: `report` (listed only), `alert` (the fleet command fails with its own exit code),
`enforce` (blocks `up` for that customer before any write: a mandatory policy in the
engine's policy pack). Every bad input is one line naming the file and the rule or
exception (`StandardsError`), raised before anything is evaluated or written.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

from ..customer.selectors import SelectorError, parse_selector
from ..yamltext import yaml_problem
from .builtin import BUILTINS, Builtin
from .rules import RuleError, Test, parse_conditions

STANDARDS_FILE = "standards.yaml"  # in the stacks folder, beside the stack files and the fleet file
MODES = ("report", "alert", "enforce")
_ID = re.compile(r"^[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?$")


class StandardsError(ValueError):
    """A standards file that cannot be used; the message is one line naming the file and the rule."""


@dataclass(frozen=True)
class Standard:
    """One standard as evaluated: a built-in with its thresholds, or a partner's rule."""
    id: str
    title: str
    source: str           # where it comes from: Mitel's guide, a risk, or "partner rule"
    mode: str
    select: str | None
    matches: Callable[[Mapping[str, str]], bool]
    builtin: Builtin | None = None
    params: dict[str, Any] = field(default_factory=dict)
    when: tuple[Test, ...] = ()
    require: tuple[Test, ...] = ()


@dataclass(frozen=True)
class Exception_:
    standard: str
    customer: str | None
    select: str | None
    matches: Callable[[Mapping[str, str]], bool] | None
    reason: str
    expires: date
    where: str  # "exception 2" for messages

    def covers(self, name: str, labels: Mapping[str, str]) -> bool:
        if self.customer is not None:
            return name == self.customer
        return bool(self.matches and self.matches(labels))

    def scope(self) -> str:
        return f"customer {self.customer}" if self.customer else f"customers {self.select}"


@dataclass(frozen=True)
class Standards:
    file: str
    standards: tuple[Standard, ...] = ()
    exceptions: tuple[Exception_, ...] = ()

    def by_id(self, id_: str) -> Standard:
        return next(s for s in self.standards if s.id == id_)


def _selector(text: Any, where: str) -> tuple[str | None, Callable[[Mapping[str, str]], bool]]:
    if text is None:
        return None, lambda labels: True
    if not isinstance(text, str) or not text.strip():
        raise StandardsError(f"{where}: select must be a label selector like tier=gold")
    try:
        return text, parse_selector(text, name="selector")  # the grammar of --select, one parser
    except SelectorError as e:
        raise StandardsError(f"{where}: {e}") from None


def _mode(value: Any, where: str) -> str:
    if value not in MODES:
        raise StandardsError(f"{where}: mode {value!r} is not one of report, alert, enforce")
    return value


def _unknown_keys(entry: Mapping[str, Any], allowed: set[str], where: str) -> None:
    for key in entry:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            raise StandardsError(f"{where}: unknown key {key!r}"
                                 + (f" (did you mean {close[0]}?)" if close else f" (keys: {', '.join(sorted(allowed))})"))


def _builtin(id_: Any, entry: Any, file: str) -> Standard:
    where = f"{file}: standard {id_}"
    if id_ not in BUILTINS:
        close = difflib.get_close_matches(str(id_), list(BUILTINS), n=1)
        raise StandardsError(f"{where}: unknown built-in standard "
                             + (f"(did you mean {close[0]}?)" if close else f"(built-ins: {', '.join(BUILTINS)}; "
                                "write your own under rules:)"))
    b = BUILTINS[id_]
    if not isinstance(entry, Mapping):
        raise StandardsError(f"{where}: write {{mode: report|alert|enforce}} and, optionally, select and "
                             f"thresholds ({', '.join(b.params) or 'none'})")
    _unknown_keys(entry, {"mode", "select"} | set(b.params), where)
    if "mode" not in entry:
        raise StandardsError(f"{where}: no mode; give mode: report, alert or enforce")
    params: dict[str, Any] = {}
    for name, p in b.params.items():
        value = entry.get(name, p.default)
        if p.kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise StandardsError(f"{where}: {name} must be a whole number ≥ 0 ({p.words}), not {value!r}")
        if p.kind is str and (not isinstance(value, str) or not value.strip()):
            raise StandardsError(f"{where}: {name} must be text ({p.words})")
        if p.kind is list and (not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value)):
            raise StandardsError(f"{where}: {name} must be a list of text values ({p.words})")
        params[name] = value
    if id_ == "pbx-user-capacity" and not 1 <= params["percent"] <= 100:
        raise StandardsError(f"{where}: percent must be between 1 and 100, not {params['percent']}")
    text, matches = _selector(entry.get("select"), where)
    return Standard(b.id, b.title, b.source, _mode(entry["mode"], where), text, matches, builtin=b, params=params)


def _rule(i: int, entry: Any, file: str) -> Standard:
    rid = entry.get("id") if isinstance(entry, Mapping) else None
    where = f"{file}: rule {rid}" if isinstance(rid, str) and rid else f"{file}: rules[{i}]"
    if not isinstance(entry, Mapping):
        raise StandardsError(f"{where}: a rule is a block with id, title, mode, require (and select, when)")
    _unknown_keys(entry, {"id", "title", "mode", "select", "when", "require", "source"}, where)
    if not isinstance(rid, str) or not _ID.match(rid):
        raise StandardsError(f"{where}: id must be lower-case letters, digits and '-' (like gold-has-scim)")
    if rid in BUILTINS:
        raise StandardsError(f"{where}: {rid} is a built-in standard's id; turn it on under standards: or rename "
                             "the rule")
    title = entry.get("title")
    if not isinstance(title, str) or not title.strip():
        raise StandardsError(f"{where}: no title; say in words what the rule asks for")
    if "mode" not in entry:
        raise StandardsError(f"{where}: no mode; give mode: report, alert or enforce")
    mode = _mode(entry["mode"], where)
    if "require" not in entry:
        raise StandardsError(f"{where}: no require block: which fields must hold what")
    try:
        require = parse_conditions(entry["require"], "require")
        when = parse_conditions(entry["when"], "when") if "when" in entry else ()
    except RuleError as e:
        raise StandardsError(f"{where}: {e}") from None
    text, matches = _selector(entry.get("select"), where)
    source = entry.get("source") or "partner rule"
    return Standard(rid, title.strip(), str(source), mode, text, matches, when=when, require=require)


def _day(value: Any, where: str) -> date:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise StandardsError(f"{where}: expires {value!r} is not a date like 2027-06-30")


def _exception(i: int, entry: Any, ids: set[str], customers: set[str] | None, today: date | None,
               file: str) -> Exception_:
    label = f"exception {i + 1}"
    if isinstance(entry, Mapping) and entry.get("standard"):
        label += f" ({entry.get('standard')}, {entry.get('customer') or entry.get('select')})"
    where = f"{file}: {label}"
    if not isinstance(entry, Mapping):
        raise StandardsError(f"{where}: an exception is a block with standard, customer or select, reason, expires")
    _unknown_keys(entry, {"standard", "customer", "select", "reason", "expires"}, where)
    sid = entry.get("standard")
    if sid not in ids:
        hint = (f"{sid} is built in but not turned on under standards:" if sid in BUILTINS else
                f"known: {', '.join(sorted(ids)) or 'none turned on'}")
        raise StandardsError(f"{where}: unknown standard {sid!r} ({hint})")
    customer, select = entry.get("customer"), entry.get("select")
    if (customer is None) == (select is None):
        raise StandardsError(f"{where}: name either one customer (customer: <stack>) or a selector (select: ...)")
    if customer is not None and (not isinstance(customer, str) or (customers is not None and customer not in customers)):
        raise StandardsError(f"{where}: customer {customer!r} does not exist (no stacks/Pulumi.{customer}.yaml)")
    reason = entry.get("reason")
    if not isinstance(reason, str) or not reason.strip():
        raise StandardsError(f"{where}: no reason; say why this customer may differ (and who agreed)")
    if "expires" not in entry:
        raise StandardsError(f"{where}: no expires date; every exception ends (expires: 2027-06-30)")
    expires = _day(entry["expires"], where)
    if today is not None and expires < today:
        raise StandardsError(f"{where}: expires {expires} is in the past; a new exception must end in the future")
    text, matches = _selector(select, where) if select is not None else (None, None)
    return Exception_(sid, customer, text, matches, reason.strip(), expires, label)


def parse_standards(data: Any, file: str = f"stacks/{STANDARDS_FILE}", customers: set[str] | None = None,
                    refuse_expired_on: date | None = None) -> Standards:
    """The file's content -> Standards. `customers`: the stack names an exception may name (None: not checked).
    `refuse_expired_on`: a day before which an exception's expiry is an error (`--lint`, for a change under
    review); otherwise an expired exception loads and counts as a violation again."""
    if data is None:
        return Standards(file)
    if not isinstance(data, Mapping):
        raise StandardsError(f"{file}: must be a block with standards:, rules: and exceptions:")
    _unknown_keys(data, {"standards", "rules", "exceptions"}, file)
    builtins = data.get("standards") or {}
    if not isinstance(builtins, Mapping):
        raise StandardsError(f"{file}: standards: must be a block of `<built-in id>: {{mode: ...}}`")
    rules = data.get("rules") or []
    if not isinstance(rules, list):
        raise StandardsError(f"{file}: rules: must be a list of rules (- id: ...)")
    standards = [_builtin(k, v, file) for k, v in builtins.items()]
    seen: set[str] = set(s.id for s in standards)
    for i, entry in enumerate(rules):
        rule = _rule(i, entry, file)
        if rule.id in seen:
            raise StandardsError(f"{file}: rule {rule.id}: the id is used twice")
        seen.add(rule.id)
        standards.append(rule)
    exceptions = data.get("exceptions") or []
    if not isinstance(exceptions, list):
        raise StandardsError(f"{file}: exceptions: must be a list (- standard: ...)")
    parsed = tuple(_exception(i, e, seen, customers, refuse_expired_on, file) for i, e in enumerate(exceptions))
    return Standards(file, tuple(standards), parsed)


def load_standards(stacks_dir: Path, customers: set[str] | None = None,
                   refuse_expired_on: date | None = None) -> Standards:
    """`stacks/standards.yaml`, parsed and checked; no file: no standards."""
    path = Path(stacks_dir) / STANDARDS_FILE
    file = f"{Path(stacks_dir).name}/{STANDARDS_FILE}"
    if not path.exists():
        return Standards(file)
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as e:
        raise StandardsError(f"{file}: {yaml_problem(e)}") from None
    except OSError as e:
        raise StandardsError(f"{file}: {e.strerror}") from None
    return parse_standards(data, file, customers, refuse_expired_on)
