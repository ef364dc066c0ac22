"""`cloudlink fleet` argument handling and exit codes, without running the engine (Typer's CliRunner)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from cloudlink_provider.cli import app

runner = CliRunner()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.acme.yaml").write_text("config: {}\n")
    return tmp_path


def fleet(*args: str):
    return runner.invoke(app, ["fleet", *args], env={"PULUMI_BACKEND_URL": "", "CLOUDLINK_ENDPOINT": "",
                                                    "CLOUDLINK_CLIENT_ID": "", "CLOUDLINK_CLIENT_SECRET": ""})


@pytest.mark.parametrize("args, message", [
    (["up", "--shard", "3/2"], "--shard"),
    (["preview", "--stacks", "zzz*"], "no stack"),
    (["drift", "--parallel", "0"], ""),
    (["destroy"], "--yes"),
    (["frobnicate"], ""),
    (["import"], "--account-id"),
    (["import", "--all", "--name", "x"], "--account-id"),
    (["import", "--all"], "CLOUDLINK_CLIENT_SECRET"),
])
def test_bad_usage_exits_2(project, args, message):
    result = fleet(*args, "--project-dir", str(project))
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_a_directory_without_pulumi_yaml_is_bad_usage(tmp_path):
    result = fleet("preview", "--project-dir", str(tmp_path))
    assert result.exit_code == 2 and "Pulumi.yaml" in result.output


@pytest.mark.parametrize("command", [[], ["preview"], ["up"], ["drift"], ["refresh"], ["destroy"]])
def test_help_documents_the_exit_codes(command):
    result = fleet(*command, "--help")
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for code in ("0 = every customer clean", "1 = a customer failed", "2 = bad usage", "3 = drift found",
                 "130 = interrupted"):
        assert code in text
