"""The policy pack's policies, called as pulumi-policy calls them (no engine): one per standard, enforce mandatory,
judged on the stack resource only, from the stack's own file."""

from __future__ import annotations

from pathlib import Path

import yaml
from pulumi_policy import EnforcementLevel

from cloudlink_provider.policypack import FILE_POLICY, STACK_TYPE, policies, stack_of

STANDARDS = """
standards:
  sso-and-sync: {mode: report}
rules:
  - {id: gold-language, title: Gold speaks Spanish, mode: enforce, select: tier=gold,
     require: {account.languageCode: {matches: "es-.*"}}}
exceptions:
  - {standard: gold-language, customer: gold-two, reason: Catalan is fine here, expires: 2099-01-01}
"""


class Args:
    def __init__(self, stack: str, type_: str = STACK_TYPE):
        self.resource_type = type_
        self.urn = f"urn:pulumi:{stack}::cloudlink-fleet::{type_}::cloudlink-fleet-{stack}"


def project(tmp_path: Path, standards: str = STANDARDS) -> Path:
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "standards.yaml").write_text(standards)
    for name, language in (("gold-one", "de-DE"), ("gold-two", "ca-ES"), ("plain", "de-DE")):
        config = {"cloudlink-fleet:customer": {"account": {"name": name, "languageCode": language}}}
        if name.startswith("gold"):
            config["cloudlink-fleet:labels"] = {"tier": "gold"}
        (stacks / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump({"config": config}))
    return tmp_path


def run(policy, stack: str, type_: str = STACK_TYPE) -> list[str]:
    said: list[str] = []
    policy.validate(Args(stack, type_), lambda message, urn=None: said.append(message))
    return said


def test_one_policy_per_standard_enforce_is_mandatory(tmp_path):
    found = {p.name: p for p in policies(project(tmp_path))}
    assert set(found) == {"sso-and-sync", "gold-language"}
    assert found["gold-language"].enforcement_level == EnforcementLevel.MANDATORY
    assert found["sso-and-sync"].enforcement_level == EnforcementLevel.ADVISORY


def test_judges_the_stack_resource_from_its_own_file(tmp_path):
    gold = {p.name: p for p in policies(project(tmp_path))}["gold-language"]
    assert run(gold, "gold-one") == ["expected account.languageCode matches 'es-.*', found 'de-DE'"]
    assert run(gold, "gold-one", "pulumi-python:dynamic/cloudlink:Account") == []  # once per stack
    assert run(gold, "gold-two") == []  # excepted
    assert run(gold, "plain") == []     # not selected


def test_a_standards_file_that_does_not_load_blocks_with_its_one_line(tmp_path):
    [only] = policies(project(tmp_path, "standards:\n  sso-and-snyc: {mode: alert}\n"))
    assert only.name == FILE_POLICY and only.enforcement_level == EnforcementLevel.MANDATORY
    assert run(only, "plain") == ["stacks/standards.yaml: standard sso-and-snyc: unknown built-in standard "
                                  "(did you mean sso-and-sync?)"]


def test_stack_of_urn():
    assert stack_of("urn:pulumi:acme-iberia::cloudlink-fleet::pulumi:pulumi:Stack::x") == "acme-iberia"


def test_the_sample_customers_break_no_enforce_standard_so_the_demo_applies_them():
    from datetime import date

    from cloudlink_provider.fleet.engine.env import PROJECT_ROOT
    from cloudlink_provider.fleet.stacks import discover_stacks
    from cloudlink_provider.fleet.standards import fleet_standards, load_customer
    from cloudlink_provider.standards import evaluate

    stacks = PROJECT_ROOT / "stacks"
    customers = [load_customer(stacks, n) for n in discover_stacks(stacks)]
    report = evaluate(fleet_standards(stacks), customers, date(2026, 12, 5), live_reads=False)
    assert len(report.customers) == 4
    assert [c.customer for c in report.customers if c.blocking()] == []
    assert {c.customer: c.score for c in report.customers if c.error} == {}
