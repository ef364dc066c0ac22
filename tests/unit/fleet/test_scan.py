"""The scan's own paths, against a live emulator: what fails a customer, what a new stack plans, coverage.

(That its findings equal the engine's is tests/e2e/test_fleet_scan.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from cloudlink_provider.fleet.state.checkpoint import open_reader
from cloudlink_provider.fleet.scan.coverage import Coverage
from cloudlink_provider.fleet.report import DRIFTED, FAILED
from cloudlink_provider.fleet.scan.loop import Scanner
from cloudlink_provider.fleet.state.secrets import Passphrase
from testkit.fleet_project import write_imported_stacks

PASSPHRASE = "unit-scan"


def _scanner(project: Path, passphrase: str = PASSPHRASE, coverage: Coverage | None = None) -> Scanner:
    state = project / ".state"
    return Scanner("cloudlink-fleet", project / "stacks", state.as_uri(), open_reader((state).as_uri(), "cloudlink-fleet", lambda s: None),
                   Passphrase(passphrase), parallel=2, coverage=coverage)


def _project(tmp_path: Path, endpoint: str) -> Path:
    project = tmp_path / "project"
    write_imported_stacks(project, {"alpha": {"account": {"name": "Alpha"}},
                                    "beta": {"account": {"name": "Beta"}, "gateway": {
                                        "serialNumber": "CLGW-BETA-0001", "type": "virtual", "name": "B"}}},
                          endpoint, PASSPHRASE)
    return project


def test_a_stack_never_deployed_plans_creates_and_lists_the_stray_account(tmp_path, emulator, client):
    project = _project(tmp_path, emulator.url)
    client.accounts.create({"name": "Stray Customer"})
    client.accounts.create({"name": "Alpha"})  # the name alpha's first `up` adopts: managed, not stray
    coverage = Coverage()
    report = _scanner(project, coverage=coverage).run(["alpha", "beta"])
    coverage.partner_accounts()
    by_stack = {s.stack: s for s in report.stacks}
    assert by_stack["alpha"].status == DRIFTED and [r.op for r in by_stack["alpha"].resources] == ["create"]
    assert [(r.name, r.op) for r in by_stack["beta"].resources] == [("account", "create"), ("gateway", "create")]
    assert by_stack["beta"].counts["create"] == 2  # customer resources only, as the engine report counts them
    assert [(u.kind, u.account_name) for u in coverage.sorted()] == [("account", "Stray Customer")]
    assert coverage.sorted()[0].command.startswith("cloudlink fleet import --account-id ")


def test_a_wrong_passphrase_fails_the_customer_in_words(tmp_path, emulator):
    project = _project(tmp_path, emulator.url)
    report = _scanner(project, "not-it").run(["alpha"])
    [outcome] = report.stacks
    assert outcome.status == FAILED and "incorrect passphrase" in (outcome.error or "")
    assert report.exit_code == 1


def test_an_unknown_checkpoint_version_fails_the_customer_and_names_engine(tmp_path, emulator):
    project = _project(tmp_path, emulator.url)
    path = project / ".state" / ".pulumi" / "stacks" / "cloudlink-fleet" / "alpha.json"
    path.parent.mkdir(parents=True)
    (project / ".state" / ".pulumi" / "meta.yaml").write_text("version: 1\n")
    path.write_text(json.dumps({"version": 4, "checkpoint": {"latest": {}}}))
    [outcome] = _scanner(project).run(["alpha"]).stacks
    assert outcome.status == FAILED and "--engine" in (outcome.error or "")


def test_a_cloud_kms_stack_is_handed_to_the_engine_in_one_line_and_its_account_is_managed(tmp_path, emulator, client):
    project = _project(tmp_path, emulator.url)
    file = project / "stacks" / "Pulumi.alpha.yaml"
    data = yaml.safe_load(file.read_text())
    data.pop("encryptionsalt", None)
    data["secretsprovider"] = "awskms://alias/fleet?region=eu-west-1"
    file.write_text(yaml.safe_dump(data))
    client.accounts.create({"name": "Alpha"})
    coverage = Coverage()
    report = _scanner(project, coverage=coverage).run(["alpha", "beta"])
    coverage.partner_accounts()
    by_stack = {s.stack: s for s in report.stacks}
    why = "secrets provider awskms: the scan decrypts only the passphrase provider, so the engine checked this customer"
    assert by_stack["alpha"].cannot_judge == why and by_stack["alpha"].error is None
    assert by_stack["beta"].cannot_judge is None
    assert report.handed_to_engine == {"alpha": why} and report.to_json()["handedToEngine"] == {"alpha": why}
    assert report.checkpoints == "file" and report.to_json()["checkpointReader"] == "file"
    assert "Alpha" not in [u.account_name for u in coverage.sorted()]  # managed by the stack the engine checks
