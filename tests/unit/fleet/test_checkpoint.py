"""The checkpoint reader against checkpoints the pinned engine really writes (no emulator: a local dynamic
resource), so a new engine version that changes the format fails here, loudly, before any scan misreads it."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest
import yaml

from cloudlink_provider.fleet.state.checkpoint import (CHECKPOINT_VERSION, CheckpointError, open_reader, parse_checkpoint)
from cloudlink_provider.fleet.engine.env import PROJECT_ROOT, pulumi_env
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from cloudlink_provider.fleet.state.secrets import Passphrase, SecretsError

PASSPHRASE = "unit-checkpoint"
PROGRAM = '''
import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider

class Provider(ResourceProvider):
    def create(self, props):
        return CreateResult("thing-1", {**props, "made": "yes"})

class Thing(Resource):
    made: pulumi.Output[str]
    def __init__(self, name, props):
        super().__init__(Provider(), name, {**props, "made": None})

Thing("thing", {"plain": "value", "port": 443, "password": pulumi.Output.secret("s3cret-pw")})
pulumi.export("answer", 42)
'''


def _engine_version() -> str:
    text = (PROJECT_ROOT / "tools" / "go.mod").read_text()
    return next(line.split()[-1] for line in text.splitlines() if "github.com/pulumi/pulumi/pkg/v3 " in line)


@pytest.fixture(scope="module")
def deployed(tmp_path_factory) -> tuple[Path, Path, dict[str, str]]:
    """Two stacks deployed by the real engine into one file:// backend: `plain` (.json) and `zipped` (.json.gz)."""
    root = tmp_path_factory.mktemp("ckpt")
    project = root / "project"
    project.mkdir()
    (project / "Pulumi.yaml").write_text(yaml.safe_dump({"name": "ckpt", "runtime": {
        "name": "python", "options": {"virtualenv": str(PROJECT_ROOT / ".venv")}}}))
    (project / "__main__.py").write_text(PROGRAM)
    state = root / "state"
    env = pulumi_env(PROJECT_ROOT, backend_url=state.as_uri())
    env["PULUMI_CONFIG_PASSPHRASE"] = PASSPHRASE
    for stack, gz in (("plain", "false"), ("zipped", "true")):
        env_s = {**env, "PULUMI_DIY_BACKEND_GZIP": gz}
        for args in (["stack", "init", stack, "--secrets-provider", "passphrase"],
                     ["config", "set", "note", "a stack with config", "--stack", stack],  # our host needs one
                     ["up", "--yes", "--skip-preview", "--stack", stack]):
            done = run_pulumi(args, project, env_s, timeout=300)
            assert done.returncode == 0, done.stdout + done.stderr
    return project, state, env


def test_the_engine_writes_the_checkpoint_format_the_reader_knows(deployed):
    project, state, _ = deployed
    raw = json.loads((state / ".pulumi" / "stacks" / "ckpt" / "plain.json").read_text())
    # The fields the scan relies on, exactly where Pulumi's apitype puts them (deployment v3).
    assert raw["version"] == CHECKPOINT_VERSION
    latest = raw["checkpoint"]["latest"]
    assert latest["manifest"]["version"] == _engine_version()
    assert latest["secrets_providers"]["type"] == "passphrase"
    salt = yaml.safe_load((project / "Pulumi.plain.yaml").read_text())["encryptionsalt"]
    assert latest["secrets_providers"]["state"]["salt"] == salt
    thing = next(r for r in latest["resources"] if r["urn"].endswith("::thing"))
    assert {"urn", "custom", "id", "type", "inputs", "outputs"} <= set(thing)
    assert thing["type"] == "pulumi-python:dynamic:Resource" and thing["id"] == "thing-1" and thing["custom"]
    assert set(thing["outputs"]["password"]) == {"4dabf18193072939515e22adb298388d", "ciphertext"}
    assert "__provider" in thing["inputs"]

    checkpoint = open_reader((state).as_uri(), "ckpt", lambda s: None).read("plain")
    assert checkpoint is not None and checkpoint.salt == salt and checkpoint.has_stack
    [res] = checkpoint.managed()
    assert (res.name, res.id) == ("thing", "thing-1")
    outputs = Passphrase(PASSPHRASE).reveal(checkpoint.salt, res.outputs)
    assert (outputs["password"], outputs["plain"], outputs["port"], outputs["made"]) == ("s3cret-pw", "value", 443, "yes")


def test_gzip_checkpoints_and_stack_export_read_the_same(deployed):
    project, state, env = deployed
    assert (state / ".pulumi" / "stacks" / "ckpt" / "zipped.json.gz").is_file()
    reader = open_reader((state).as_uri(), "ckpt", lambda s: None)
    zipped = reader.read("zipped")
    assert zipped is not None and [r.id for r in zipped.managed()] == ["thing-1"]
    exported = run_pulumi(["stack", "export", "--stack", "plain"], project, env)
    from_export = parse_checkpoint(json.loads(exported.stdout), "plain")
    from_file = reader.read("plain")
    assert from_export is not None and from_file is not None
    assert [(r.urn, r.outputs) for r in from_export.resources] == [(r.urn, r.outputs) for r in from_file.resources]
    assert reader.read("never-deployed") is None


def test_the_newest_variant_wins_as_in_the_engine(deployed, tmp_path):
    _, state, _ = deployed
    copy = tmp_path / "state" / ".pulumi" / "stacks" / "ckpt"
    copy.mkdir(parents=True)
    data = (state / ".pulumi" / "stacks" / "ckpt" / "plain.json").read_bytes()
    (copy / "s.json").write_bytes(data.replace(b"thing-1", b"older"))
    (copy / "s.json.gz").write_bytes(gzip.compress(data))
    os.utime(copy / "s.json", ns=(1, 1))
    (tmp_path / "state" / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    checkpoint = open_reader((tmp_path / "state").as_uri(), "ckpt", lambda s: None).read("s")
    assert checkpoint is not None and [r.id for r in checkpoint.managed()] == ["thing-1"]


def test_an_unknown_format_fails_loudly():
    with pytest.raises(CheckpointError, match="format version 4"):
        parse_checkpoint({"version": 4, "checkpoint": {"latest": {}}}, "s")
    with pytest.raises(CheckpointError, match="no manifest"):
        parse_checkpoint({"version": 3, "checkpoint": {"latest": {"resources": []}}}, "s")
    assert parse_checkpoint({"version": 3, "checkpoint": {"stack": "s"}}, "s") is None


def test_secrets_derive_each_key_once_and_refuse_a_wrong_passphrase(deployed):
    project, state, _ = deployed
    salt = yaml.safe_load((project / "Pulumi.plain.yaml").read_text())["encryptionsalt"]
    crypt = Passphrase(PASSPHRASE)
    checkpoint = open_reader((state).as_uri(), "ckpt", lambda s: None).read("plain")
    assert checkpoint is not None
    for _ in range(3):
        crypt.reveal(salt, checkpoint.managed()[0].outputs)
    assert crypt.derivations == 1
    sealed = crypt.encrypt(salt, "round trip")
    assert crypt.decrypt(salt, sealed) == "round trip" and sealed.startswith("v1:")
    with pytest.raises(SecretsError, match="incorrect passphrase"):
        Passphrase("not the passphrase").decrypt(salt, sealed)
