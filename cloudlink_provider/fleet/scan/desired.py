"""What a customer's spec asks for, as the engine receives it: the program's plan, registered on paper.

Owns one translation and nothing else: `cloudlink_provider.plan.plan(spec)` (the
same pure function `program.py` registers) -> per resource, the engine's type
token, the provider class, and the inputs as the Python SDK sends them (the
plan's inputs, the Resource class's output-only properties left out because the
SDK sends no `None`, write-only secrets taken from the stack config and marked
secret). References stay `Ref`s (and `Join`s of them): the scan resolves them the way the engine does
during a preview. tests/unit/fleet/test_desired.py checks the result against the
real program under Pulumi's mocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ...customer.model import CustomerSpec
from ...plan import RESOURCE_TYPES, Join, MissingSecret, Ref, SecretRef, plan
from ...pulumi_facts import DYNAMIC_PREFIX
from ...resources import CloudLinkProvider

TYPE_PREFIX = DYNAMIC_PREFIX
__all__ = ["Join", "OnPaper", "Planned", "Ref", "Secret", "MissingSecret", "desired", "on_paper"]


@dataclass(frozen=True)
class Secret:
    """A value the program registers as a Pulumi secret (the provider sees the plain value)."""
    value: Any


@dataclass
class Planned:
    name: str
    type: str  # the engine's type token, e.g. pulumi-python:dynamic/cloudlink:Account
    provider: type[CloudLinkProvider]
    inputs: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)
    secret_outputs: tuple[str, ...] = ()


@dataclass
class OnPaper:
    """One planning of a spec: the resources, the stack outputs' names and the warnings the program logs."""
    resources: dict[str, Planned]
    exports: set[str]
    warnings: list[str]


def on_paper(spec: CustomerSpec, secrets: dict[str, str], stack: str) -> OnPaper:
    """What the program registers, exports and warns about for this spec, from one call of `plan()`.

    `secrets`: the stack's write-only secrets by config key (`pbxPassword`); a block
    whose secret is missing raises `MissingSecret`, as the program does."""
    the_plan = plan(spec, {k for k, v in secrets.items() if v}, stack)
    out: dict[str, Planned] = {}
    for name, planned in the_plan.resources.items():
        cls = RESOURCE_TYPES[planned.type]
        inputs = {}
        for key, value in planned.inputs.items():
            if isinstance(value, SecretRef):
                value = Secret(secrets[value.key])
            elif key in cls.SECRET_INPUTS:
                value = Secret(value)
            if value is not None:  # the SDK sends no None property (the outputs-to-be)
                inputs[key] = value
        out[name] = Planned(name, TYPE_PREFIX + planned.type, cls.PROVIDER, inputs, list(planned.depends_on),
                            (*cls.SECRET_INPUTS, *cls.SECRET_OUTPUTS))
    return OnPaper(out, set(the_plan.exports), list(the_plan.warnings))


def desired(spec: CustomerSpec, secrets: dict[str, str], stack: str) -> dict[str, Planned]:
    """The resources the program registers for this spec, in registration order."""
    return on_paper(spec, secrets, stack).resources
