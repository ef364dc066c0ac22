"""Which stacks a change touches: `cloudlink fleet preview --changed-since REF`.

Owns the rule, and says which part of it picked the stacks:
- shared code changed since REF (the program, the provider package, Pulumi.yaml,
  `__main__.py`, pyproject.toml, tools/, the standards file and the policy pack): every
  stack, because any of them may plan (or be judged) differently now;
- otherwise the stacks whose `stacks/Pulumi.<name>.yaml` changed (committed since REF,
  uncommitted, or new and untracked);
- nothing changed: no stack.

Reads git only (`git diff --name-only REF`, `git ls-files --others`); never the engine.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from ..errors import usage

SHARED = ("cloudlink_provider/", "Pulumi.yaml", "__main__.py", "pyproject.toml", "tools/", "stacks/standards.yaml",
          "policy/")


def _git(project_dir: Path, *args: str) -> list[str]:
    done = subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise usage(f"--changed-since: git {' '.join(args[:2])}: {said[-1] if said else done.returncode}")
    return [line for line in done.stdout.splitlines() if line]


def changed_files(project_dir: Path, ref: str) -> list[str]:
    """Paths relative to the project directory that differ from REF (committed, staged, unstaged, untracked)."""
    _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    changed = _git(project_dir, "diff", "--name-only", "--relative", ref, "--")
    untracked = _git(project_dir, "ls-files", "--others", "--exclude-standard")
    return sorted(set(changed) | set(untracked))


def select_changed(project_dir: Path, ref: str, names: list[str]) -> tuple[list[str], str]:
    """(the stacks to preview, in `names` order; the rule that picked them, in words)."""
    files = changed_files(project_dir, ref)
    shared = [f for f in files if any(f == s or f.startswith(s) for s in SHARED)]
    if shared:
        shown = ", ".join(shared[:3]) + (f" and {len(shared) - 3} more" if len(shared) > 3 else "")
        return list(names), f"every stack: shared code changed since {ref} ({shown})"
    touched = {f[len("stacks/Pulumi."):-len(".yaml")] for f in files
               if f.startswith("stacks/Pulumi.") and f.endswith(".yaml")}
    picked = [n for n in names if n in touched]
    gone = sorted(touched - set(names) - {n for n in touched if (project_dir / "stacks" / f"Pulumi.{n}.yaml").exists()})
    rule = (f"{len(picked)} stack(s) whose stack file changed since {ref}" if picked
            else f"no stack: no stack file or shared code changed since {ref}")
    if gone:
        rule += f"; stack files removed (nothing to preview): {', '.join(gone)}"
    return picked, rule
