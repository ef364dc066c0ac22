"""`preview --changed-since`: which stacks a change touches, and the rule that picked them (a real git repo)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cloudlink_provider.fleet.commands.changes import select_changed
from cloudlink_provider.fleet.errors import FleetError

NAMES = ["alpha", "beta", "gamma"]


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    (repo / "cloudlink_provider").mkdir()
    (repo / "Pulumi.yaml").write_text("name: cloudlink-fleet\n")
    (repo / "cloudlink_provider" / "program.py").write_text("# program\n")
    for name in NAMES:
        (repo / "stacks" / f"Pulumi.{name}.yaml").write_text(f"config: {{}}  # {name}\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return repo


def test_only_the_stacks_whose_files_changed(repo):
    (repo / "stacks" / "Pulumi.beta.yaml").write_text("config: {}  # edited\n")
    (repo / "stacks" / "Pulumi.delta.yaml").write_text("config: {}  # new\n")
    names, rule = select_changed(repo, "main", NAMES + ["delta"])
    assert names == ["beta", "delta"]
    assert rule == "2 stack(s) whose stack file changed since main"


def test_shared_code_previews_every_stack(repo):
    (repo / "cloudlink_provider" / "program.py").write_text("# changed\n")
    names, rule = select_changed(repo, "main", NAMES)
    assert names == NAMES and rule.startswith("every stack: shared code changed since main")
    assert "cloudlink_provider/program.py" in rule


def test_nothing_changed_and_removed_stacks(repo):
    assert select_changed(repo, "main", NAMES) == ([], "no stack: no stack file or shared code changed since main")
    (repo / "stacks" / "Pulumi.gamma.yaml").unlink()
    names, rule = select_changed(repo, "main", ["alpha", "beta"])
    assert names == [] and rule.endswith("stack files removed (nothing to preview): gamma")


def test_an_unknown_ref_is_bad_usage(repo):
    with pytest.raises(FleetError) as e:
        select_changed(repo, "no-such-ref", NAMES)
    assert e.value.exit_code == 2
