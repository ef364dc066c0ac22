"""`cloudlink` argument handling, error messages and exit codes through `main()`, the one place that turns
errors into messages, with injected consoles (what a partner sees), without running the engine."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cloudlink_provider.cli import app, main

runner = CliRunner()


@pytest.fixture
def project(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.acme.yaml").write_text("config: {}\n")
    return tmp_path


@pytest.fixture(autouse=True)
def no_inherited_settings(monkeypatch):
    for var in ("PULUMI_BACKEND_URL", "CLOUDLINK_ENDPOINT", "CLOUDLINK_CLIENT_ID", "CLOUDLINK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)


class Seen:
    def __init__(self, code: int, out: str, err: str):
        self.exit_code, self.out, self.err = code, out, err

    @property
    def output(self) -> str:
        return self.out + self.err


def fleet(*args: str) -> Seen:
    out, err = io.StringIO(), io.StringIO()
    code = main(["fleet", *args], console=Console(file=out, width=200), err_console=Console(file=err, width=200))
    return Seen(code, out.getvalue(), err.getvalue())


@pytest.mark.parametrize("args, message", [
    (["up", "--shard", "3/2"], "cloudlink fleet up: --shard '3/2'"),
    (["preview", "--stacks", "zzz*"], "cloudlink fleet preview: no stack"),
    (["drift", "--parallel", "0"], "--parallel"),
    (["destroy"], "cloudlink fleet destroy: deletes customers from CloudLink: add --yes"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["import"], "cloudlink fleet import: give either --account-id"),
    (["import", "--all", "--name", "x"], "--account-id"),
    (["import", "--all"], "CLOUDLINK_CLIENT_SECRET"),
    (["recover", "--stacks", "zzz*"], "cloudlink fleet recover: no stack"),
])
def test_bad_usage_exits_2_with_one_message_on_stderr(project, args, message):
    result = fleet(*args, "--project-dir", str(project))
    assert result.exit_code == 2, result.output
    assert message in result.err and result.out == ""
    assert "Traceback" not in result.output


def test_a_directory_without_pulumi_yaml_is_bad_usage(tmp_path):
    result = fleet("preview", "--project-dir", str(tmp_path))
    assert result.exit_code == 2 and "Pulumi.yaml" in result.err


def test_help_exits_0():
    assert main(["fleet", "--help"], console=Console(file=io.StringIO()),
                err_console=Console(file=io.StringIO())) == 0


@pytest.mark.parametrize("command", [[], ["preview"], ["up"], ["drift"], ["refresh"], ["destroy"]])
def test_help_documents_the_exit_codes(command):
    result = runner.invoke(app, ["fleet", *command, "--help"])
    assert result.exit_code == 0
    text = " ".join(result.output.split())
    for code in ("0 = every customer clean", "1 = a customer failed", "2 = bad usage", "3 = drift found",
                 "130 = interrupted"):
        assert code in text


def test_the_demo_and_emulator_serve_share_one_database():
    """`make demo` leaves its customers where `cloudlink emulator serve` (the README's by-hand path) finds them."""
    from cloudlink_provider import demo

    help_text = " ".join(runner.invoke(app, ["emulator", "serve", "--help"]).output.split())
    assert demo.EMULATOR_DB == ".emulator/cloudlink.db" and demo.EMULATOR_DB in help_text
