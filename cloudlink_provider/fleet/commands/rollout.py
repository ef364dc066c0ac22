"""The rollout plan of `cloudlink fleet up`: which customers go in which wave, and how long to bake between.

Owns the grammar and nothing else (no engine, no network, no file):

- `--waves-by LABEL`: one wave per value of the customers' LABEL, in value order
  (numerically when every value is a whole number: `wave: 1`, `2`, `10`);
  every selected customer must carry the label;
- `--canary N`: a first wave of the first N customers (sorted stack names);
- `--wave SIZE` (repeatable, after the canary): `N` customers, `P%` of the selected
  fleet (rounded up, 1-100) or `rest`; `rest` can only come last. Customers left
  over after the last `--wave` form a final wave `rest`, so `--canary 2` alone means
  "two first, then everyone else";
- `--bake SECONDS`: wait between waves (not after the last).

Bad input is a usage error (exit 2) raised before anything runs: a plan that names
no customer, a label no selected customer carries (or some lack), `--canary`
larger than the fleet, a percentage outside 1-100, `--waves-by` together with
`--canary`/`--wave`, `rest` before another wave, a negative bake. The waves are
disjoint and together cover every selected customer exactly once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Mapping, Sequence

from ..errors import usage

REST = "rest"
_COUNT = re.compile(r"^\s*(\d+)\s*$")
_PERCENT = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*%\s*$")


@dataclass(frozen=True)
class Wave:
    name: str  # `canary`, `wave 2 (10%)`, `rest`, `wave=1`
    stacks: tuple[str, ...]


@dataclass(frozen=True)
class RolloutPlan:
    waves: tuple[Wave, ...]
    bake_s: float = 0.0

    @property
    def stacks(self) -> list[str]:
        return [s for w in self.waves for s in w.stacks]

    def describe(self) -> str:
        """`canary (2), wave 2 (10%: 100), rest (898); bake 300s`."""
        text = ", ".join(f"{w.name} ({len(w.stacks)})" for w in self.waves)
        return text + (f"; bake {self.bake_s:g}s between waves" if self.bake_s else "")


def has_rollout(waves_by: str | None, canary: int | None, waves: Sequence[str]) -> bool:
    return bool(waves_by) or canary is not None or bool(waves)


def rollout_plan(names: Sequence[str], labels: Mapping[str, Mapping[str, str]], waves_by: str | None = None,
                 canary: int | None = None, waves: Sequence[str] = (), bake_s: float | None = None) -> RolloutPlan:
    """The waves over `names` (the selected customers). `labels`: stack -> its labels (only read for
    `--waves-by`). Raises a usage error for any bad input; nothing has run yet."""
    names = sorted(names)
    if bake_s is not None and (not math.isfinite(bake_s) or bake_s < 0):
        raise usage(f"--bake {bake_s:g}: seconds must be 0 or more")
    if not has_rollout(waves_by, canary, waves):
        if bake_s:
            raise usage("--bake needs a rollout plan (--waves-by LABEL, or --canary N / --wave SIZE)")
        return RolloutPlan((Wave("all", tuple(names)),) if names else (), 0.0)
    if waves_by is not None and (canary is not None or waves):
        raise usage("--waves-by cannot be combined with --canary or --wave: choose waves by label or by count")
    if not names:
        raise usage("the rollout plan names no customer: no stack is selected")
    if waves_by is not None:
        plan = _by_label(names, labels, waves_by)
    else:
        plan = _by_count(names, canary, list(waves))
    return RolloutPlan(plan, float(bake_s or 0.0))


def _by_label(names: list[str], labels: Mapping[str, Mapping[str, str]], label: str) -> tuple[Wave, ...]:
    label = label.strip()
    if not label:
        raise usage("--waves-by needs a label name (for example --waves-by wave)")
    values = {n: (labels.get(n) or {}).get(label) for n in names}
    carrying = {n: str(v) for n, v in values.items() if v is not None}
    if not carrying:
        raise usage(f"--waves-by {label}: no selected customer carries the label {label!r}")
    missing = [n for n in names if n not in carrying]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise usage(f"--waves-by {label}: {len(missing)} selected customer(s) do not carry the label "
                    f"{label!r}: {shown} (label them, or narrow the selection)")
    distinct = set(carrying.values())
    numeric = all(re.fullmatch(r"-?\d+", v) for v in distinct)
    order = sorted(distinct, key=(lambda v: (int(v), v)) if numeric else (lambda v: (v, v)))
    return tuple(Wave(f"{label}={value}", tuple(n for n in names if carrying[n] == value)) for value in order)


def _size(text: str, total: int, index: int) -> tuple[str, int | None]:
    """(`10%`, count) for one `--wave`; count None for `rest`."""
    spec = text.strip().lower()
    if spec == REST:
        return REST, None
    if (m := _PERCENT.match(spec)) is not None:
        percent = float(m.group(1))
        if not 1 <= percent <= 100:
            raise usage(f"--wave {text}: a percentage must be between 1% and 100%")
        return f"{m.group(1)}%", max(1, math.ceil(total * percent / 100))
    if (m := _COUNT.match(spec)) is not None:
        count = int(m.group(1))
        if count < 1:
            raise usage(f"--wave {text}: a wave needs at least one customer")
        return m.group(1), count
    raise usage(f"--wave {text!r}: expected a count (25), a percentage (10%) or `rest`")


def _by_count(names: list[str], canary: int | None, sizes: list[str]) -> tuple[Wave, ...]:
    total = len(names)
    out: list[Wave] = []
    taken = 0
    if canary is not None:
        if canary < 1:
            raise usage(f"--canary {canary}: a canary needs at least one customer")
        if canary > total:
            raise usage(f"--canary {canary} is larger than the selected fleet ({total} customer(s))")
        out.append(Wave("canary", tuple(names[:canary])))
        taken = canary
    parsed = [_size(text, total, k) for k, text in enumerate(sizes)]
    if any(count is None for _, count in parsed[:-1]):
        raise usage("--wave rest must be the last wave")
    for k, (label, count) in enumerate(parsed, start=len(out) + 1):
        if taken >= total:
            break
        end = total if count is None else min(total, taken + count)
        name = REST if count is None else f"wave {k} ({label}{'' if label.endswith('%') else ' customers'})"
        out.append(Wave(name, tuple(names[taken:end])))
        taken = end
    if taken < total:
        out.append(Wave(REST, tuple(names[taken:])))
    return tuple(out)
