"""Which customers a change touches: `cloudlink fleet preview --changed-since REF`.

Owns the rule, and says per customer what picked it:
- shared code changed since REF (the program, the provider package, Pulumi.yaml,
  `__main__.py`, pyproject.toml, tools/, the standards file and the policy pack): every
  stack, because any of them may plan (or be judged) differently now;
- otherwise each customer whose EFFECTIVE spec differs between REF and now (its stack
  file layered over the fleet file, with the one merge, `customer.layers.effective`,
  at REF and now), whose stack file's other config differs (a secret, a provider
  setting), whose stack file is new, or who takes a fleet provider setting that
  changed. A fleet default that reaches 3 customers picks those 3, not every stack.
- nothing changed: no stack.

Reads git only (`git diff --name-only REF`, `git ls-files --others`, `git show REF:...`
into a scratch folder read with the same readers); never the engine.
"""

from __future__ import annotations

import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ...customer.layers import LayerError, spec_changes
from ...fleetfile import CUSTOMER_KEY, FLEET_FILE, LABELS_KEY, PROFILES_KEY, PROVIDER_KEYS, FleetFile
from ..errors import FleetError, usage
from ..layering import Layering, layering_for
from ..stacks import StackFile

SHARED = ("cloudlink_provider/", "Pulumi.yaml", "__main__.py", "pyproject.toml", "tools/", "stacks/standards.yaml",
          "policy/")
LAYER_KEYS = (CUSTOMER_KEY, PROFILES_KEY, LABELS_KEY)


def _git(project_dir: Path, *args: str) -> list[str]:
    done = subprocess.run(["git", "-C", str(project_dir), *args], capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip().splitlines()
        raise usage(f"--changed-since: git {' '.join(args[:2])}: {said[-1] if said else done.returncode}")
    return [line for line in done.stdout.splitlines() if line]


def changed_files(project_dir: Path, ref: str) -> list[str]:
    """Paths relative to the project directory that differ from REF (committed, staged, unstaged, untracked)."""
    try:
        _git(project_dir, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    except FleetError:  # --quiet says nothing: say it ourselves
        raise usage(f"--changed-since {ref!r}: no such commit, branch or tag in {project_dir} (check the "
                    "spelling; in CI, fetch enough history: actions/checkout with fetch-depth: 0)") from None
    changed = _git(project_dir, "diff", "--name-only", "--relative", ref, "--")
    untracked = _git(project_dir, "ls-files", "--others", "--exclude-standard")
    return sorted(set(changed) | set(untracked))


@dataclass
class Selection:
    """The customers picked, in the given order, the rule in words, and per customer why (and what changed)."""
    names: list[str]
    rule: str
    why: dict[str, str] = field(default_factory=dict)
    spec_changes: dict[str, list[str]] = field(default_factory=dict)


def _stacks_at(project_dir: Path, stacks_dir: Path, ref: str, into: Path) -> Path:
    """REF's stack files and fleet file, written into `into` (the same folder name as now)."""
    sub = stacks_dir.resolve().relative_to(project_dir.resolve()).as_posix()
    target = into / stacks_dir.name
    target.mkdir(parents=True, exist_ok=True)
    for path in _git(project_dir, "ls-tree", "--name-only", ref, "--", f"{sub}/"):
        name = path.rsplit("/", 1)[-1]
        if name == FLEET_FILE or (name.startswith("Pulumi.") and name.endswith(".yaml")):
            done = subprocess.run(["git", "-C", str(project_dir), "show", f"{ref}:./{sub}/{name}"],
                                  capture_output=True, timeout=120)
            if done.returncode == 0:
                (target / name).write_bytes(done.stdout)
    return target


def _other_config(file: StackFile) -> dict[str, object]:
    return {k: v for k, v in file.config().items() if k not in LAYER_KEYS}


def select_changed(project_dir: Path, ref: str, names: list[str], stacks_dir: Path | None = None) -> Selection:
    """The customers to preview (in `names` order) and why each was picked."""
    stacks_dir = stacks_dir or project_dir / "stacks"
    files = changed_files(project_dir, ref)
    shared = [f for f in files if any(f == s or f.startswith(s) for s in SHARED)]
    if shared:
        shown = ", ".join(shared[:3]) + (f" and {len(shared) - 3} more" if len(shared) > 3 else "")
        rule = f"every stack: shared code changed since {ref} ({shown})"
        return Selection(list(names), rule, {n: "shared code changed" for n in names})
    now = layering_for(stacks_dir)
    fleet_label = FleetFile(stacks_dir).label
    with tempfile.TemporaryDirectory(prefix="cloudlink-changed-since-") as tmp:
        then_dir = _stacks_at(project_dir, stacks_dir, ref, Path(tmp))
        then = Layering(then_dir)
        try:
            then_provider = dict(then.content().provider)
        except FleetError:
            then_provider = {}
        now_provider = dict(now.content().provider)
        provider_changed = sorted(k for k in PROVIDER_KEYS if then_provider.get(k) != now_provider.get(k))
        selection = Selection([], "")
        for name in names:
            why, changes = _why(name, then, now, then_dir, stacks_dir, provider_changed, fleet_label)
            if why:
                selection.names.append(name)
                selection.why[name] = why
                if changes:
                    selection.spec_changes[name] = changes
    gone = sorted(f[len("stacks/Pulumi."):-len(".yaml")] for f in files
                  if f.startswith("stacks/Pulumi.") and f.endswith(".yaml") and not (project_dir / f).exists())
    picked = len(selection.names)
    selection.rule = (f"{picked} of {len(names)} customer(s) whose effective spec (stack file over {fleet_label}) "
                      f"or stack config differs from {ref}" if picked
                      else f"no stack: no customer's effective spec or stack config differs from {ref}")
    if gone:
        selection.rule += f"; stack files removed (nothing to preview): {', '.join(gone)}"
    return selection


def _why(name: str, then: Layering, now: Layering, then_dir: Path, stacks_dir: Path, provider_changed: list[str],
         fleet_label: str) -> tuple[str | None, list[str]]:
    old_file, new_file = StackFile(then_dir, name), StackFile(stacks_dir, name)
    if not old_file.exists():
        return f"new stack file stacks/Pulumi.{name}.yaml", []
    try:
        new = now.effective(name)
    except LayerError as e:
        return f"its layers do not merge now: {e}", []
    try:
        old = then.effective(name)
    except (LayerError, FleetError):
        old = None
    changes = spec_changes(old.spec if old else None, new.spec)
    if changes:
        paths = list(dict.fromkeys(c.split(" ", 1)[0] for c in changes))
        sources = []
        for path in paths:
            key = tuple(path.split("."))
            origins = [str(o) for o in new.origin_of(key)] if _has(new.spec, key) else []
            if not origins and key in new.removed:
                origins = [f"null in {new.removed[key]}"]
            if not origins and old is not None:
                origins = [f"no longer from {o}" for o in old.origin_of(key)]
            sources += origins
        return (f"effective spec changed ({', '.join(paths)}; from {', '.join(dict.fromkeys(sources))})"), changes
    keys = sorted(k for k in _other_config(old_file).keys() | _other_config(new_file).keys()
                  if _other_config(old_file).get(k) != _other_config(new_file).get(k))
    if keys:
        return f"stack file config changed ({', '.join(keys)})", []
    inherited = [k for k in provider_changed if new_file.config().get(f"cloudlink:{k}") in (None, "")]
    if inherited:
        return f"{fleet_label} provider settings changed ({', '.join('provider.' + k for k in inherited)})", []
    return None, []


def _has(spec: dict, path: tuple[str, ...]) -> bool:
    for part in path:
        if not isinstance(spec, dict) or part not in spec:
            return False
        spec = spec[part]
    return True
