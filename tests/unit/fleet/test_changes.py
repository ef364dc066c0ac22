"""`preview --changed-since`: which stacks a change touches, and the rule that picked them (a real git repo)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cloudlink_provider.fleet.commands.changes import select_changed
from cloudlink_provider.fleet.errors import FleetError

NAMES = ["alpha", "beta", "gamma"]
FLEET = """provider: {endpoint: http://e, clientId: partner}
defaults:
  account: {languageCode: es-ES}
profiles:
  gold: {labels: {tier: gold}, spec: {account: {active: true}}}
"""


def stack(name: str, extra: str = "", profiles: str = "") -> str:
    own = "languageCode: de-DE, " if name == "gamma" else ""
    return (f"config:\n{profiles}  cloudlink-fleet:customer:\n    account: {{{own}name: {name.title()}}}\n{extra}")


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path) -> Path:
    repo = tmp_path / "repo"
    (repo / "stacks").mkdir(parents=True)
    (repo / "cloudlink_provider").mkdir()
    (repo / "Pulumi.yaml").write_text("name: cloudlink-fleet\nstackConfigDir: stacks\n")
    (repo / "cloudlink_provider" / "program.py").write_text("# program\n")
    (repo / "stacks" / "fleet.yaml").write_text(FLEET)
    for name in NAMES:
        profiles = "  cloudlink-fleet:profiles: [gold]\n" if name == "beta" else ""
        (repo / "stacks" / f"Pulumi.{name}.yaml").write_text(stack(name, profiles=profiles))
    git(repo, "init", "-q", "-b", "main")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "add", ".")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "base")
    return repo


def test_a_changed_default_picks_exactly_the_customers_it_reaches(repo):
    (repo / "stacks" / "fleet.yaml").write_text(FLEET.replace("es-ES", "ca-ES"))
    picked = select_changed(repo, "main", NAMES)
    assert picked.names == ["alpha", "beta"]  # gamma sets its own language: the default does not reach it
    assert picked.why["alpha"] == "effective spec changed (account.languageCode; from stacks/fleet.yaml defaults)"
    assert picked.spec_changes == {"alpha": ["account.languageCode es-ES -> ca-ES"],
                                   "beta": ["account.languageCode es-ES -> ca-ES"]}
    assert picked.rule == ("2 of 3 customer(s) whose effective spec (stack file over stacks/fleet.yaml) or stack "
                           "config differs from main")


def test_a_changed_profile_picks_the_customers_that_opt_in(repo):
    (repo / "stacks" / "fleet.yaml").write_text(FLEET.replace("active: true", "active: false"))
    picked = select_changed(repo, "main", NAMES)
    assert picked.names == ["beta"] and "stacks/fleet.yaml profile gold" in picked.why["beta"]


def test_stack_files_pick_their_own_customer_when_what_they_mean_changes(repo):
    (repo / "stacks" / "Pulumi.alpha.yaml").write_text(stack("alpha") + "# a comment changes nothing\n")
    (repo / "stacks" / "Pulumi.beta.yaml").write_text(stack("beta").replace("Beta", "Beta SL"))
    (repo / "stacks" / "Pulumi.gamma.yaml").write_text(stack("gamma", "  cloudlink-fleet:pbxPassword: {secure: v1:x}\n"))
    (repo / "stacks" / "Pulumi.delta.yaml").write_text(stack("delta"))
    picked = select_changed(repo, "main", NAMES + ["delta"])
    assert picked.names == ["beta", "gamma", "delta"]
    assert picked.why["beta"] == ("effective spec changed (account.name, account.active; from "
                                  "stacks/Pulumi.beta.yaml, no longer from stacks/fleet.yaml profile gold)")
    assert picked.why["gamma"] == "stack file config changed (cloudlink-fleet:pbxPassword)"
    assert picked.why["delta"] == "new stack file stacks/Pulumi.delta.yaml"


def test_a_fleet_provider_setting_picks_those_who_inherit_it(repo):
    (repo / "stacks" / "Pulumi.alpha.yaml").write_text(stack("alpha", "  cloudlink:endpoint: http://own\n"))
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qam", "alpha has its own")
    (repo / "stacks" / "fleet.yaml").write_text(FLEET.replace("http://e", "http://moved"))
    picked = select_changed(repo, "main", NAMES)
    assert picked.names == ["beta", "gamma"]
    assert picked.why["beta"] == "stacks/fleet.yaml provider settings changed (provider.endpoint)"


def test_shared_code_previews_every_stack(repo):
    (repo / "cloudlink_provider" / "program.py").write_text("# changed\n")
    picked = select_changed(repo, "main", NAMES)
    assert picked.names == NAMES and picked.rule.startswith("every stack: shared code changed since main")
    assert "cloudlink_provider/program.py" in picked.rule


def test_nothing_changed_and_removed_stacks(repo):
    picked = select_changed(repo, "main", NAMES)
    assert (picked.names, picked.rule) == ([], "no stack: no customer's effective spec or stack config differs "
                                               "from main")
    (repo / "stacks" / "Pulumi.gamma.yaml").unlink()
    picked = select_changed(repo, "main", ["alpha", "beta"])
    assert picked.names == [] and picked.rule.endswith("stack files removed (nothing to preview): gamma")


def test_an_unknown_ref_is_bad_usage(repo):
    with pytest.raises(FleetError) as e:
        select_changed(repo, "no-such-ref", NAMES)
    assert e.value.exit_code == 2


def test_a_mistyped_ref_says_so_in_words(repo):
    with pytest.raises(FleetError) as e:
        select_changed(repo, "mian", NAMES)
    assert e.value.exit_code == 2
    assert "--changed-since 'mian': no such commit, branch or tag" in str(e.value)
    assert "rev-parse" not in str(e.value)
