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
    for var in ("PULUMI_BACKEND_URL", "CLOUDLINK_ENDPOINT", "CLOUDLINK_CLIENT_ID", "CLOUDLINK_CLIENT_SECRET",
                "PULUMI_CONFIG_PASSPHRASE_FILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "unit-cli-usage")


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


@pytest.mark.parametrize("args", [
    ["import", "--account-id", "acc-1", "--endpoint", "http://127.0.0.1:9", "--client-id", "p",
     "--client-secret", "s"],
    ["import", "--all", "--endpoint", "http://127.0.0.1:9", "--client-id", "p", "--client-secret", "s"],
    ["up"], ["preview"], ["drift"], ["refresh"], ["destroy", "--yes"], ["recover"],
    ["welcome-email", "--stacks", "acme"], ["welcome-email", "--dry-run"],
    ["preview", "--engine"], ["drift", "--engine"], ["up", "--all"], ["up", "--canary", "1"],
    ["up", "--waves-by", "ring"], ["standards"],
])
def test_without_a_passphrase_every_secret_reading_command_refuses_before_any_write(project, monkeypatch, args):
    """A partner's first day: PULUMI_CONFIG_PASSPHRASE unset. No fallback to the README's public passphrase."""
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    before = sorted(p.name for p in (project / "stacks").iterdir())
    result = fleet(*args, "--project-dir", str(project))
    assert result.exit_code == 2, result.output
    assert "set PULUMI_CONFIG_PASSPHRASE" in result.err and len(result.err.strip().splitlines()) <= 2
    assert sorted(p.name for p in (project / "stacks").iterdir()) == before  # no stack file, no salt written
    assert not (project / ".state" / ".pulumi").exists()


def test_the_public_demo_passphrase_on_a_partner_stack_is_warned_about_loudly(tmp_path):
    from cloudlink_provider.fleet.engine.env import DEMO_PASSPHRASE, PROJECT_ROOT
    from cloudlink_provider.fleet.passphrase import public_passphrase_warning

    env = {"PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE}
    warning = public_passphrase_warning(env, tmp_path / "stacks", ["real-customer"])
    assert warning and "PUBLIC demo passphrase" in warning and "real-customer" in warning
    assert public_passphrase_warning(env, PROJECT_ROOT / "stacks", ["acme-iberia"]) is None  # a sample
    assert public_passphrase_warning({"PULUMI_CONFIG_PASSPHRASE": "own"}, tmp_path, ["real-customer"]) is None


def test_repeated_stacks_options_select_every_glob_not_the_last(project):
    from cloudlink_provider.fleet.stacks import select_stacks

    (project / "stacks" / "Pulumi.baltic.yaml").write_text("config: {}\n")
    (project / "stacks" / "Pulumi.nordwind.yaml").write_text("config: {}\n")
    assert select_stacks(project / "stacks", ["acme", "nord*"]) == ["acme", "nordwind"]
    result = fleet("recover", "--stacks", "acme", "--stacks", "zzz*", "--project-dir", str(project))
    assert result.exit_code == 2 and "matches 'zzz*'" in result.err  # every glob counts, a typo is said


def test_welcome_email_dry_run_needs_no_stacks_but_sending_does(project):
    refused = fleet("welcome-email", "--project-dir", str(project))
    assert refused.exit_code == 2 and "--dry-run" in refused.err


def test_fleet_help_names_what_it_runs():
    result = runner.invoke(app, ["fleet", "--help"])
    assert "Automation API" not in result.output and "one `pulumi` engine per stack" in result.output


def test_piped_output_never_cuts_ids_or_paths(monkeypatch):
    from cloudlink_provider.cli import default_consoles

    consoles = default_consoles()  # pytest captures stdout: not a terminal, as in CI
    assert consoles.out.width >= 400
