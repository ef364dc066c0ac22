"""Which customer stacks exist: one `stacks/Pulumi.<customer>.yaml` per customer.

Owns discovery, glob selection and the deterministic `--shard i/n` split. Reads
file names only; never touches the engine or the network.
"""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from .errors import usage

STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")


def discover_stacks(stacks_dir: Path, pattern: str = "*") -> list[str]:
    """Stack names from the config files, sorted, optionally filtered by a glob."""
    names = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]


def stack_file(stacks_dir: Path, name: str) -> Path:
    return stacks_dir / f"Pulumi.{name}.yaml"


def parse_shard(text: str) -> tuple[int, int]:
    """`"i/n"` -> (i, n), 1 <= i <= n: this job takes shard i of n."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match:
        raise usage(f"--shard {text!r}: expected i/n, for example 2/4 (shard 2 of 4)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise usage(f"--shard {text!r}: i must be between 1 and n (n >= 1)")
    return index, count


def shard(names: list[str], index: int, count: int) -> list[str]:
    """Shard `index` of `count` (1-based) of the sorted names: every count-th stack, round-robin.

    Deterministic (it depends only on the sorted list), disjoint, and together the
    shards cover every stack; sizes differ by at most one.
    """
    return [n for k, n in enumerate(sorted(names)) if k % count == index - 1]


def select_stacks(stacks_dir: Path, pattern: str = "*", shard_spec: str | None = None) -> list[str]:
    """The stacks one fleet command works on. No stack matching is bad usage; an empty shard is not."""
    if not stacks_dir.is_dir():
        raise usage(f"no stacks directory at {stacks_dir} (use --project-dir to point at the project)")
    names = discover_stacks(stacks_dir, pattern)
    if not names:
        raise usage(f"no stack in {stacks_dir} matches {pattern!r}")
    if shard_spec:
        names = shard(names, *parse_shard(shard_spec))
    return names
