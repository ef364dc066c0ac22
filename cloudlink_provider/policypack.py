"""The standards as a Pulumi policy pack (CrossGuard): `pulumi preview|up --policy-pack policy`.

`policy/__main__.py` calls `serve()`; the engine starts it through our Python
language host (tools/pulumi-language-python, `RunPlugin`) with the project
directory as working directory. Every standard in `stacks/standards.yaml` becomes
one resource policy named after its id: `enforce` is MANDATORY (the engine stops the
run before the first resource's step, so `up` writes nothing to CloudLink for that
customer), `report` and `alert` are ADVISORY (a warning in the engine's output and a
`policyEvent` the fleet reads).

A policy judges once per stack, on the stack resource itself (`pulumi:pulumi:Stack`,
the first resource the program registers, before any CloudLink resource): the
customer is the stack's own stack file, through the same loader and the same
`standards.evaluate` as `cloudlink fleet standards`. The engine path has no live
reads: watches judge from the spec where they can (the SSO certificate in the
spec) and leave the rest (users pending activation, live role holders) to
`cloudlink fleet standards`. A standards file that does not load becomes one
mandatory violation naming the file and the rule: nothing is written.
"""

from __future__ import annotations

from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from pulumi_policy import EnforcementLevel, PolicyPack, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy

from .fleet.standards import CustomerUnreadable, fleet_standards, load_customer
from .pulumi_facts import STACK_TYPE
from .standards import Standards, StandardsError, evaluate

PACK = "cloudlink-standards"
FILE_POLICY = "standards-file"  # the one policy left when the standards file does not load


def stacks_dir(project: Path) -> Path:
    """Where the stack files and the standards file are: `stacks/` (Pulumi.yaml's `stackConfigDir`, as the fleet
    has it)."""
    return project / "stacks"


def stack_of(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<stack>`."""
    return urn.split("::", 1)[0].removeprefix("urn:pulumi:")


class Judge:
    """Evaluates each stack's customer once (the policies share the result)."""

    def __init__(self, standards: Standards, stacks: Path):
        self.standards, self.stacks = standards, stacks
        self._results: dict[str, Any] = {}

    def finding(self, stack: str, standard: str) -> Any:
        if stack not in self._results:
            today = datetime.now(timezone.utc).date()
            try:
                customer = load_customer(self.stacks, stack)
            except CustomerUnreadable:
                self._results[stack] = None  # an invalid spec fails at check, naming the field: not ours to say
            else:
                self._results[stack] = evaluate(self.standards, [customer], today, live_reads=False).customers[0]
        result = self._results[stack]
        return None if result is None else next(f for f in result.findings if f.standard == standard)


def _policy(judge: Judge, standard: Any) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type != STACK_TYPE:
            return
        finding = judge.finding(stack_of(args.urn), standard.id)
        if finding is not None and finding.violated:
            report(finding.text(), None)

    level = EnforcementLevel.MANDATORY if standard.mode == "enforce" else EnforcementLevel.ADVISORY
    return ResourceValidationPolicy(name=standard.id, description=standard.title, validate=validate,
                                    enforcement_level=level)


def policies(project: Path) -> list[ResourceValidationPolicy]:
    stacks = stacks_dir(project)
    try:
        standards = fleet_standards(stacks)
    except StandardsError as e:
        message = str(e)

        def refuse(args: ResourceValidationArgs, report: ReportViolation) -> None:
            if args.resource_type == STACK_TYPE:
                report(message, None)

        return [ResourceValidationPolicy(name=FILE_POLICY, description="the standards file loads",
                                         validate=refuse, enforcement_level=EnforcementLevel.MANDATORY)]
    judge = Judge(standards, stacks)
    found = [_policy(judge, s) for s in standards.standards]
    if not found:  # a pack needs a policy; with no standards it never reports
        found = [ResourceValidationPolicy(name="no-standards", description="stacks/standards.yaml lists none",
                                          validate=lambda args, report: None,
                                          enforcement_level=EnforcementLevel.ADVISORY)]
    return found


def serve(project: Path | None = None) -> None:
    """Start the pack (blocks: pulumi-policy serves the Analyzer protocol and prints its port)."""
    PolicyPack(name=PACK, policies=policies(project or Path.cwd()),
               enforcement_level=EnforcementLevel.ADVISORY)
