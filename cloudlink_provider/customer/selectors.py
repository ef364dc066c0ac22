"""Customer labels and the label selector grammar (`--select`), Kubernetes-style. Pure: no I/O.

A customer carries labels (`tier: gold`, `region: eu`, `wave: "2"`): string keys,
string values. A selector is a comma-separated list of requirements, ALL of which
must hold (comma means AND):

    tier=gold          tier==gold      equality
    tier!=gold                         inequality (also true when the customer has no `tier` label)
    region in (eu,uk)                  set membership
    region notin (us)                  not in the set (also true without the label)
    wave                               the label exists
    !wave                              the label does not exist

Keys: letters, digits, `-`, `_`, `.`, `/`, starting and ending with a letter or
digit (at most 63 characters after an optional `prefix/`). Values: the same
characters without `/`, or empty. Whitespace around words is ignored.

`parse_selector(text)` returns a `Selector` (call it with a label dict) or raises
`SelectorError`, one line that says where the text went wrong.
`check_labels(labels, where)` judges a label block and raises `LabelError`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

KEY = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?/)?[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$")
VALUE = re.compile(r"^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$")
KEY_WORDS = "letters, digits, '-', '_', '.', starting and ending with a letter or digit, optionally 'prefix/'"
VALUE_WORDS = "at most 63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit"


class SelectorError(ValueError):
    """A selector that does not parse; the message is one line."""


class LabelError(ValueError):
    """A label block that is not string keys to string values; the message is one line."""


def check_labels(labels: Any, where: str) -> dict[str, str | None]:
    """A label block as written (`None` values remove an inherited label); raises `LabelError` naming `where`."""
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise LabelError(f"{where}: labels must be a block of `key: value` pairs, not {type(labels).__name__}")
    out: dict[str, str | None] = {}
    for key, value in labels.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise LabelError(f"{where}: label key {key!r} is not a label key ({KEY_WORDS})")
        if value is not None and not isinstance(value, str):
            raise LabelError(f"{where}: label {key} has the value {value!r}, which is not a string; quote it "
                             f'({key}: "{value}")')
        if value is not None and not VALUE.match(value):
            raise LabelError(f"{where}: label {key} has the value {value!r} ({VALUE_WORDS})")
        out[key] = value
    return out


@dataclass(frozen=True)
class Requirement:
    """One requirement: `op` is one of =, !=, in, notin, exists, !exists."""
    key: str
    op: str
    values: tuple[str, ...] = ()

    def __call__(self, labels: Mapping[str, str]) -> bool:
        have = labels.get(self.key)
        if self.op == "exists":
            return self.key in labels
        if self.op == "!exists":
            return self.key not in labels
        if self.op in ("=", "in"):
            return have is not None and have in self.values
        return have is None or have not in self.values  # != and notin

    def __str__(self) -> str:
        if self.op == "exists":
            return self.key
        if self.op == "!exists":
            return f"!{self.key}"
        if self.op in ("=", "!="):
            return f"{self.key}{self.op}{self.values[0]}"
        return f"{self.key} {self.op} ({','.join(self.values)})"


@dataclass(frozen=True)
class Selector:
    """Requirements that must all hold; the empty selector matches every customer."""
    requirements: tuple[Requirement, ...] = ()

    def __call__(self, labels: Mapping[str, str]) -> bool:
        return all(r(labels) for r in self.requirements)

    def __str__(self) -> str:
        return ",".join(str(r) for r in self.requirements)


_TOKEN = re.compile(r"\s*(==|!=|=|\(|\)|,|!|[^\s=!(),]+)")


def _tokens(text: str) -> list[tuple[str, int]]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m:  # pragma: no cover - the pattern matches any non-space character
            raise SelectorError(f"--select {text!r}: unexpected character at position {pos + 1}")
        out.append((m.group(1), m.start(1)))
        pos = m.end()
    return out


def parse_selector(text: str) -> Selector:
    """`tier=gold,region in (eu,uk),!legacy` -> a `Selector`; raises `SelectorError` (one line)."""
    tokens = _tokens(text or "")
    if not tokens:
        raise SelectorError(f"--select {text!r}: empty selector (write for example tier=gold,region in (eu,uk))")
    i, requirements = 0, []

    def fail(why: str, at: int | None = None) -> SelectorError:
        where = f" at position {at + 1}" if at is not None else " at the end"
        return SelectorError(f"--select {text!r}: {why}{where}")

    def peek() -> tuple[str, int] | None:
        return tokens[i] if i < len(tokens) else None

    def key_at(token: tuple[str, int] | None) -> str:
        if token is None:
            raise fail("expected a label key")
        word, at = token
        if not KEY.match(word):
            raise fail(f"{word!r} is not a label key ({KEY_WORDS})", at)
        return word

    def value_at(token: tuple[str, int] | None) -> str:
        if token is None:
            raise fail("expected a value")
        word, at = token
        if word in ("(", ")", ",", "!", "=", "==", "!=") or not VALUE.match(word):
            raise fail(f"{word!r} is not a label value ({VALUE_WORDS})", at)
        return word

    while True:
        token = peek()
        if token is None or token[0] == ",":
            raise fail("empty requirement (two commas, or a comma at the start or end)",
                       token[1] if token else None)
        if token[0] == "!":
            i += 1
            requirements.append(Requirement(key_at(peek()), "!exists"))
            i += 1
        else:
            key = key_at(token)
            i += 1
            op = peek()
            if op is None or op[0] == ",":
                requirements.append(Requirement(key, "exists"))
            elif op[0] in ("=", "==", "!="):
                i += 1
                value = peek()
                if value is None or value[0] == ",":  # `tier=` means the empty value
                    requirements.append(Requirement(key, "!=" if op[0] == "!=" else "=", ("",)))
                else:
                    requirements.append(Requirement(key, "!=" if op[0] == "!=" else "=", (value_at(value),)))
                    i += 1
            elif op[0] in ("in", "notin"):
                i += 1
                if peek() is None or peek()[0] != "(":  # type: ignore[index]
                    raise fail(f"expected '(' after {op[0]}", peek()[1] if peek() else None)  # type: ignore[index]
                i += 1
                values: list[str] = []
                while True:
                    values.append(value_at(peek()))
                    i += 1
                    sep = peek()
                    if sep is None:
                        raise fail("the set is not closed with ')'")
                    i += 1
                    if sep[0] == ")":
                        break
                    if sep[0] != ",":
                        raise fail(f"expected ',' or ')' in the set, found {sep[0]!r}", sep[1])
                requirements.append(Requirement(key, op[0], tuple(values)))
            else:
                raise fail(f"expected =, ==, !=, in, notin, ',' or the end after the key {key!r}, found {op[0]!r}",
                           op[1])
        token = peek()
        if token is None:
            return Selector(tuple(requirements))
        if token[0] != ",":
            raise fail(f"expected ',' between requirements, found {token[0]!r}", token[1])
        i += 1
