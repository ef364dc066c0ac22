"""`cloudlink fleet standards` argument handling through `main()`: a bad standards file is exit 2 with its one
line, `--lint` checks the file only, and `--help` documents the exit codes. No engine, no CloudLink."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cloudlink_provider.cli import app, main

RULE = "rules:\n  - {id: langs, title: Language set, mode: alert, require: {account.languageCode: {exists: true}}}\n"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "Pulumi.acme.yaml").write_text("config: {}\n")
    return tmp_path


def standards(project, text: str, *args: str):
    (project / "stacks" / "standards.yaml").write_text(text)
    out, err = io.StringIO(), io.StringIO()
    code = main(["fleet", "standards", *args, "--project-dir", str(project)],
                console=Console(file=out, width=300), err_console=Console(file=err, width=300))
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("text, line", [
    (RULE.replace("exists: true", "exist: true"),
     "cloudlink fleet standards: stacks/standards.yaml: rule langs: require: account.languageCode: unknown test "
     "'exist' (did you mean exists?)"),
    (RULE + "exceptions:\n  - {standard: langs, customer: globex, reason: r, expires: 2099-01-01}\n",
     "cloudlink fleet standards: stacks/standards.yaml: exception 1 (langs, globex): customer 'globex' does not "
     "exist (no stacks/Pulumi.globex.yaml)"),
])
def test_a_bad_standards_file_is_exit_2_with_one_line(project, text, line):
    for args in ((), ("--lint",)):
        code, out, err = standards(project, text, *args)
        assert code == 2 and err.strip() == line and out == ""


def test_lint_refuses_a_past_expiry_and_passes_a_good_file(project):
    past = RULE + "exceptions:\n  - {standard: langs, customer: acme, reason: r, expires: 2020-01-01}\n"
    code, _out, err = standards(project, past, "--lint")
    assert code == 2 and "expires 2020-01-01 is in the past" in err
    code, out, _err = standards(project, RULE.replace("2020", "2099"), "--lint")
    assert code == 0 and "stacks/standards.yaml: 1 standard(s), 0 exception(s): ok" in out


def test_a_bad_date_is_bad_usage(project):
    code, _out, err = standards(project, RULE, "--on", "tomorrow")
    assert code == 2 and "--on 'tomorrow' is not a date" in err


def test_help_documents_the_exit_codes():
    result = CliRunner().invoke(app, ["fleet", "standards", "--help"])
    text = " ".join(result.output.split())
    for code in ("0 = no alert or enforce standard is violated", "1 = a customer could not be checked",
                 "2 = bad usage, or a standards file that does not load", "5 = an alert or enforce standard",
                 "130 = interrupted"):
        assert code in text
