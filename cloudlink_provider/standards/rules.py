"""The partner's own rules: a small declarative condition form, parsed here, never executed as code.

A rule names fields and what must hold for them; nothing in it runs:

    - id: gold-has-scim
      title: Gold customers use Azure AD SSO with Azure AD Sync
      mode: enforce
      select: tier=gold                      # which customers (a label selector); default: all
      when: {pbx.type: {in: [mivoice-business]}}   # optional: only customers where this holds
      require:
        sso.scim: true                       # shorthand for {equals: true}
        account.languageCode: {matches: "^es-"}

A field is a path into the customer's effective spec (`account.languageCode`,
`sso.scim`, `roles`), `labels.<key>`, `name` (the stack), or a live fact
(`live.pendingUsers`, see facts.LIVE_FIELDS). Tests: equals, notEquals, in, notIn,
matches (a regular expression, the whole value must match), exists (true/false),
atLeast, atMost (numbers, versions like 9.7, or a list's length). Every test on a
field must hold; every field under `require` must hold. Paths are checked against
the spec model when the file loads, so a typo is an error naming the rule, not a
rule that silently never fires.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any, Mapping

from pydantic import BaseModel

from ..customer.model import CustomerSpec
from .facts import LIVE_FIELDS, Customer

OPS = ("equals", "notEquals", "in", "notIn", "matches", "exists", "atLeast", "atMost")
_VERSION = re.compile(r"^\d+(\.\d+)*$")


class RuleError(ValueError):
    """A condition that does not parse or names an unknown field; the message is one line."""


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The pydantic model inside `X | None` or `list[X]`, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (typing.Union, types.UnionType, list):
        for arg in typing.get_args(annotation):
            found = _model_of(arg)
            if found is not None:
                return found
    return None


def spec_paths(model: type[BaseModel] = CustomerSpec, prefix: str = "") -> set[str]:
    """Every field path of the customer spec: blocks and their fields (`sso`, `sso.scim`, `roles`)."""
    paths: set[str] = set()
    for name, info in model.model_fields.items():
        path = f"{prefix}{name}"
        paths.add(path)
        inner = _model_of(info.annotation)
        if inner is not None and typing.get_origin(info.annotation) is not list:
            paths |= spec_paths(inner, path + ".")
    return paths


SPEC_PATHS = frozenset(spec_paths())


def check_path(path: Any) -> str:
    if not isinstance(path, str) or not path:
        raise RuleError(f"field {path!r} is not a field path like sso.scim")
    if path == "name" or path in SPEC_PATHS:
        return path
    head, _, rest = path.partition(".")
    if head == "labels" and rest:
        return path
    if head == "live" and rest in LIVE_FIELDS:
        return path
    known = sorted(SPEC_PATHS | {f"live.{k}" for k in LIVE_FIELDS} | {"name"})
    close = difflib.get_close_matches(path, known, n=1)
    hint = f"did you mean {close[0]}?" if close else "fields are spec paths like account.languageCode, " \
        "labels.<key>, name, or live." + "|".join(LIVE_FIELDS)
    raise RuleError(f"unknown field {path!r} ({hint})")


@dataclass(frozen=True)
class Test:
    path: str
    op: str
    value: Any

    def holds(self, have: Any) -> bool:
        op, want = self.op, self.value
        if op == "exists":
            return (have is not None and have != [] and have != {}) == want
        if op == "equals":
            return have == want
        if op == "notEquals":
            return have != want
        if op == "in":
            return have in want
        if op == "notIn":
            return have not in want
        if op == "matches":
            return isinstance(have, (str, int)) and want.fullmatch(str(have)) is not None
        a, b = _comparable(have), _comparable(want)
        if a is None or b is None or type(a) is not type(b):
            return False
        return a >= b if op == "atLeast" else a <= b

    def words(self) -> str:
        want = self.value.pattern if self.op == "matches" else self.value
        return {"equals": f"{self.path} is {want!r}", "notEquals": f"{self.path} is not {want!r}",
                "in": f"{self.path} is one of {want}", "notIn": f"{self.path} is none of {want}",
                "matches": f"{self.path} matches {want!r}",
                "exists": f"{self.path} is {'set' if want else 'not set'}",
                "atLeast": f"{self.path} is at least {want}", "atMost": f"{self.path} is at most {want}"}[self.op]


def _comparable(value: Any) -> Any:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, list):
        return float(len(value))
    if isinstance(value, str) and _VERSION.match(value):
        return tuple(int(p) for p in value.split("."))
    return None


def _operand(op: str, value: Any, path: str) -> Any:
    if op in ("in", "notIn"):
        if not isinstance(value, list):
            raise RuleError(f"{path}: {op} takes a list, like {op}: [a, b]")
        return value
    if op == "matches":
        if not isinstance(value, str):
            raise RuleError(f"{path}: matches takes a regular expression in quotes")
        try:
            return re.compile(value)
        except re.error as e:
            raise RuleError(f"{path}: matches {value!r} is not a regular expression ({e})") from None
    if op == "exists":
        if not isinstance(value, bool):
            raise RuleError(f"{path}: exists takes true or false")
        return value
    if op in ("atLeast", "atMost"):
        if _comparable(value if not isinstance(value, str) else str(value)) is None:
            raise RuleError(f"{path}: {op} takes a number or a version like 9.7")
        return value
    return value


def parse_conditions(block: Any, where: str) -> tuple[Test, ...]:
    """`{path: {op: value, ...} | scalar}` -> tests; raises RuleError (one line, starting with `where`)."""
    if not isinstance(block, Mapping) or not block:
        raise RuleError(f"{where}: must be a block of `field: test` lines, like `sso.scim: true`")
    tests: list[Test] = []
    for path, spec in block.items():
        try:
            check_path(path)
            if isinstance(spec, Mapping):
                if not spec:
                    raise RuleError(f"{path}: give at least one test ({', '.join(OPS)})")
                for op, value in spec.items():
                    if op not in OPS:
                        close = difflib.get_close_matches(str(op), OPS, n=1)
                        raise RuleError(f"{path}: unknown test {op!r} "
                                        f"({'did you mean ' + close[0] + '?' if close else 'tests: ' + ', '.join(OPS)})")
                    tests.append(Test(path, op, _operand(op, value, path)))
            elif isinstance(spec, list):
                raise RuleError(f"{path}: a list needs a test: `in: [...]`")
            else:
                tests.append(Test(path, "equals", spec))
        except RuleError as e:
            raise RuleError(f"{where}: {e}") from None
    return tuple(tests)


def failing(tests: tuple[Test, ...], customer: Customer, today: date | None = None) -> list[Test]:
    return [t for t in tests if not t.holds(customer.get(t.path, today))]


def needs_live(tests: tuple[Test, ...]) -> bool:
    return any(t.path.startswith("live.") for t in tests)


def shown(value: Any) -> str:
    return "not set" if value is None else repr(value)
