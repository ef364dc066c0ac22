"""The README's "Fleet operations" section and examples/ci cannot rot: every `cloudlink fleet` command
they show exists with the options they use, and the exit codes they promise are the ones the code returns."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from cloudlink_provider.cli import app
from cloudlink_provider.fleet.errors import ExitCode

ROOT = Path(__file__).resolve().parents[3]
README = (ROOT / "README.md").read_text()
SECTION = README.split("## Fleet operations", 1)[1].split("\n## ", 1)[0]
WORKFLOWS = sorted((ROOT / "examples" / "ci").glob("*.yml"))
runner = CliRunner()


def invocations(text: str) -> list[list[str]]:
    found = []
    for match in re.finditer(r"\.venv/bin/cloudlink fleet ((?:\\\n|[^\n`])+)", text):
        line = match.group(1).replace("\\\n", " ").split("#")[0]
        line = re.sub(r"\$\{\{[^}]*\}\}", "X", line)
        found.append(shlex.split(line))
    return found


def check(args: list[str]) -> None:
    command = args[0]
    help_text = runner.invoke(app, ["fleet", command, "--help"]).output
    assert "Usage:" in help_text, f"`cloudlink fleet {command}` does not exist"
    for option in (a.split("=", 1)[0] for a in args[1:] if a.startswith("--")):
        assert option in help_text, f"`cloudlink fleet {command}` has no {option}"


def test_the_readme_section_shows_real_commands_and_options():
    commands = invocations(SECTION)
    assert {c[0] for c in commands} >= {"preview", "up", "drift", "refresh", "destroy", "import"}
    for args in commands:
        check(args)


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_ci_examples_are_workflows_that_use_make_setup_and_real_commands(workflow):
    data = yaml.safe_load(workflow.read_text())
    assert data["jobs"] and True in data  # `on:` parses as True in YAML 1.1
    steps = [s for job in data["jobs"].values() for s in job["steps"]]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert "make setup" in runs
    assert invocations(runs)
    for args in invocations(runs):
        check(args)


def test_the_readme_promises_the_exit_codes_the_code_returns():
    table = re.findall(r"^\| (\d+) \| ", SECTION, re.MULTILINE)
    assert sorted(int(code) for code in table) == sorted(int(code) for code in ExitCode)


def test_after_a_kill_the_readme_shows_recover_then_up_and_both_exist():
    section = README.split("### After a run was killed", 1)[1].split("\n## ", 1)[0]
    commands = invocations(section)
    assert [c[0] for c in commands] == ["recover", "up"]  # what tests/e2e/test_recover.py runs after each kill
    assert commands[0][1:] == commands[1][1:] == ["--stacks", "acme-*"]
    for args in commands:
        check(args)
    assert "--force" in runner.invoke(app, ["fleet", "recover", "--help"]).output


def test_the_nightly_drift_example_keeps_history_fails_on_new_and_publishes_the_dashboard():
    data = yaml.safe_load((ROOT / "examples" / "ci" / "nightly-drift.yml").read_text())
    steps = data["jobs"]["drift"]["steps"]
    [drift] = [args for s in steps for args in invocations(s.get("run", ""))]
    options = dict(zip(drift, drift[1:]))
    assert drift[0] == "drift" and options["--fail-on"] == "new" and "--notify" in drift
    history, dashboard = options["--history"], options["--html"]
    restore = next(s for s in steps if s.get("uses", "").startswith("actions/cache/restore@"))
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    assert restore["with"]["path"] == save["with"]["path"] == history  # what drift reads is what is kept
    assert save["if"] == "always()"  # kept when the job fails too (the failing night is tomorrow's "still")
    assert restore["with"]["restore-keys"] and save["with"]["key"].startswith(restore["with"]["restore-keys"])
    index = steps.index
    assert index(restore) < next(i for i, s in enumerate(steps) if "fleet drift" in s.get("run", "")) < index(save)
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert dashboard.startswith(upload["with"]["path"]) and upload["if"] == "always()"


def test_the_readme_triage_file_example_loads():
    from cloudlink_provider.fleet.findings import parse_triage

    block = README.split("# stacks/drift-accepted.yaml\n", 1)[1].split("```", 1)[0]
    [entry] = parse_triage(yaml.safe_load(block), "stacks/drift-accepted.yaml").entries
    assert (entry.customer, entry.resource, entry.field) == ("acme-iberia", "gateway", "name")
