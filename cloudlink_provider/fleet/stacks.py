"""Which customer stacks exist: one `stacks/Pulumi.<customer>.yaml` per customer."""

from __future__ import annotations

import fnmatch
from pathlib import Path


def discover_stacks(stacks_dir: Path, pattern: str = "*") -> list[str]:
    """Stack names from the config files, sorted, optionally filtered by a glob."""
    names = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]
