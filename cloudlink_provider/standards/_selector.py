"""A stand-in for the fleet file's label selector (`cloudlink_provider.customer.selectors`, issue 17).

Only until that lands: `key=value`, `key!=value`, `key` and `!key`, comma for AND.
The standards import `parse_selector` and `SelectorError` from here in one line, which
becomes an import from the customer package; do not grow this into a second grammar.
"""

from __future__ import annotations

import re
from typing import Callable, Mapping

_KEY = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._/-]*[A-Za-z0-9])?$")


class SelectorError(ValueError):
    """A selector that does not parse; one line."""


def parse_selector(text: str) -> Callable[[Mapping[str, str]], bool]:
    tests: list[Callable[[Mapping[str, str]], bool]] = []
    for part in (p.strip() for p in text.split(",")):
        m = re.fullmatch(r"(!?)\s*([^=!\s]+)\s*(?:(==|=|!=)\s*(\S*))?", part)
        if not part or not m or not _KEY.match(m.group(2)):
            raise SelectorError(f"selector {text!r}: cannot read {part!r} (write key=value, key!=value, key or !key, "
                                "joined by commas)")
        neg, key, op, value = m.groups()
        if op and neg:
            raise SelectorError(f"selector {text!r}: '!' goes only before a bare key")
        if op in ("=", "=="):
            tests.append(lambda labels, k=key, v=value: labels.get(k) == v)
        elif op == "!=":
            tests.append(lambda labels, k=key, v=value: labels.get(k) != v)
        elif neg:
            tests.append(lambda labels, k=key: k not in labels)
        else:
            tests.append(lambda labels, k=key: k in labels)
    return lambda labels: all(t(labels) for t in tests)
