"""Stack selection: the glob, and the deterministic --shard split a CI matrix relies on."""

from __future__ import annotations

import pytest

from cloudlink_provider.fleet.errors import ExitCode, FleetError
from cloudlink_provider.fleet.stacks import parse_shard, select_stacks, shard


def test_shards_are_disjoint_cover_everything_and_are_balanced():
    names = [f"c{i:02d}" for i in range(11)]
    parts = [shard(list(reversed(names)), i, 3) for i in (1, 2, 3)]
    assert sorted(n for part in parts for n in part) == names
    assert all(not set(a) & set(b) for a in parts for b in parts if a is not b)
    assert sorted(len(p) for p in parts) == [3, 4, 4]
    assert parts[0] == ["c00", "c03", "c06", "c09"]  # the sorted list, round-robin: the same on every runner
    assert shard(names, 1, 1) == names


@pytest.mark.parametrize("text", ["", "1", "0/2", "3/2", "1/0", "a/b", "-1/2", "1/2/3"])
def test_a_bad_shard_is_bad_usage(text):
    with pytest.raises(FleetError) as e:
        parse_shard(text)
    assert e.value.exit_code == ExitCode.USAGE


def test_parse_shard():
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1 / 1 ") == (1, 1)


def test_selection_glob_and_empty_shard(tmp_path):
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    for name in ("acme", "baltic", "harbour"):
        (stacks / f"Pulumi.{name}.yaml").write_text("config: {}\n")
    (stacks / "notes.yaml").write_text("")
    assert select_stacks(stacks) == ["acme", "baltic", "harbour"]
    assert select_stacks(stacks, "*a*r*") == ["harbour"]
    assert select_stacks(stacks, "acme", "2/2") == []  # an empty shard of a matching fleet is fine
    with pytest.raises(FleetError) as e:
        select_stacks(stacks, "zzz*")
    assert e.value.exit_code == ExitCode.USAGE
    with pytest.raises(FleetError) as e:
        select_stacks(tmp_path / "nowhere")
    assert e.value.exit_code == ExitCode.USAGE


def test_stack_files_have_one_reader_and_writer():
    """Only fleet/stacks.py (StackFile) parses YAML, besides the two readers of Pulumi's own files."""
    import re
    from pathlib import Path

    package = Path(__file__).resolve().parents[3] / "cloudlink_provider"
    readers = {str(p.relative_to(package)) for p in package.rglob("*.py")
               if re.search(r"^\s*(import yaml|from yaml)", p.read_text(), re.MULTILINE)}
    assert readers == {"fleet/stacks.py",
                       "pulumi_facts.py",          # Pulumi.yaml: the project's name, read once
                       "fleet/state/layout.py",    # the backend's .pulumi/meta.yaml
                       "fleetfile.py",             # stacks/fleet.yaml (and Pulumi.yaml's stackConfigDir)
                       "fleet/triage.py",          # stacks/drift-accepted.yaml, which is no stack file
                       "standards/model.py"}       # stacks/standards.yaml, which is no stack file


def test_a_stack_file_reads_its_spec_secure_keys_and_salt_and_writes_leading_keys_first(tmp_path):
    from cloudlink_provider.fleet.stacks import StackFile, UnreadableStackFile

    file = StackFile(tmp_path, "acme")
    assert file.load() == {} and file.spec() == {} and file.secure_keys() == set()
    with pytest.raises(UnreadableStackFile, match="Pulumi.acme.yaml"):
        file.read()
    file.save({"encryptionsalt": "v1:salt", "config": {
        "cloudlink-fleet:customer": {"account": {"name": "ACME"}}, "cloudlink-fleet:pbxPassword": {"secure": "v1:x"},
        "cloudlink:clientSecret": {"secure": "v1:y"}, "cloudlink:endpoint": "http://e"}})
    assert list(file.config()) == ["cloudlink:endpoint", "cloudlink:clientSecret", "cloudlink-fleet:pbxPassword",
                                   "cloudlink-fleet:customer"]
    assert file.secure_keys() == {"cloudlink:clientSecret", "cloudlink-fleet:pbxPassword"}
    assert file.salt() == "v1:salt" and file.spec() == {"account": {"name": "ACME"}}
    file.set_spec({"account": {"name": "ACME SL"}}, header="# imported\n")
    assert file.path.read_text().startswith("# imported\n") and file.spec() == {"account": {"name": "ACME SL"}}
    assert file.salt() == "v1:salt" and file.secure_keys() == {"cloudlink:clientSecret", "cloudlink-fleet:pbxPassword"}
    file.path.write_text("config: [unclosed")
    assert file.load() == {}


def test_a_stack_file_is_read_once_and_its_secure_keys_are_the_engines_secure_values(tmp_path):
    from cloudlink_provider.fleet.stacks import StackFile, is_secure

    (tmp_path / "Pulumi.acme.yaml").write_text(
        "encryptionsalt: v1:salt\nconfig:\n  cloudlink:clientId: partner\n  cloudlink:clientSecret:\n    secure: v1:abc\n"
        "  cloudlink-fleet:pbxPassword:\n    secure: v1:def\n  cloudlink-fleet:customer:\n    account: {name: A}\n")
    snapshot = StackFile(tmp_path, "acme").snapshot()
    (tmp_path / "Pulumi.acme.yaml").unlink()  # what the run read stays what it read
    assert snapshot.secure_keys() == {"cloudlink:clientSecret", "cloudlink-fleet:pbxPassword"}
    assert snapshot.spec() == {"account": {"name": "A"}} and snapshot.salt() == "v1:salt"
    assert StackFile(tmp_path, "acme").snapshot().secure_keys() == set()
    assert is_secure({"secure": "v1:x"}) and not is_secure({"secure": "v1:x", "other": 1}) and not is_secure("x")
