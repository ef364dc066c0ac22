"""The scan's desired resources are exactly what the Pulumi program registers (the real program, Pulumi's mocks).

Until the program's body is itself a pure plan that the scan calls, this test is what
keeps the two in step: same resources, same type tokens, same inputs, for every kind.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pytest

from cloudlink_provider.customer.model import parse_customer
from cloudlink_provider.pulumi_facts import SIG_KEY
from cloudlink_provider.fleet.scan.desired import Join, Ref, Secret, desired
from testkit.fleet_project import FULL_KINDS, PBX_PASSWORD, TEAMS_SECRET, full_customer

MOCK_OUTPUTS = {"accountId": "acc-1", "gatewayId": "gw-1"}


class Recorder(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.registered: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.registered.append((args.name, args.typ, {k: _plain(v) for k, v in args.inputs.items()
                                                      if not k.startswith("__")}))
        return f"{args.name}-id", {**args.inputs, **MOCK_OUTPUTS}

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        return {}


def _plain(value: Any) -> Any:
    """A secret as the mocks see it ({SIG_KEY: ..., value}) -> its value."""
    if isinstance(value, dict) and SIG_KEY in value:
        return value["value"]
    return value


def _mocked(value: Any) -> Any:
    """A reference as the mocks resolve it: ids are `<name>-id`, outputs come from MOCK_OUTPUTS."""
    if isinstance(value, Join):
        return "".join(str(_mocked(part)) for part in value.parts)
    if isinstance(value, Ref):
        return f"{value.resource}-id" if value.output == "id" else MOCK_OUTPUTS[value.output]
    return value


def _expected(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    plan = desired(parse_customer(spec), {"pbxPassword": PBX_PASSWORD, "teamsClientSecret": TEAMS_SECRET}, "unit")
    out = []
    for name, p in plan.items():
        inputs = {}
        for key, value in p.inputs.items():
            if isinstance(value, Secret):
                value = value.value
            inputs[key] = _mocked(value)
        out.append((name, p.type, inputs))
    return out


@pytest.mark.parametrize("kind", range(len(FULL_KINDS)), ids=[k[0] for k in FULL_KINDS])
def test_desired_is_what_the_program_registers(kind):
    spec = full_customer(kind)
    recorder = Recorder()
    pulumi.runtime.set_mocks(recorder, project="cloudlink-fleet", stack="unit", preview=False)
    pulumi.runtime.set_all_config({"cloudlink-fleet:pbxPassword": PBX_PASSWORD,
                                   "cloudlink-fleet:teamsClientSecret": TEAMS_SECRET},
                                  ["cloudlink-fleet:pbxPassword", "cloudlink-fleet:teamsClientSecret"])
    from cloudlink_provider import program

    expected = sorted(_expected(spec))
    checked: list[bool] = []

    def compare(_: Any) -> None:
        got = sorted(recorder.registered)
        assert got == expected
        assert {name for name, _, _ in got} >= {"account", "gateway", "pbx", "sso"}
        checked.append(True)

    @pulumi.runtime.test
    def registered():
        config = pulumi.Config()
        exports = program.register(program.plan(parse_customer(spec), program.configured_secrets(config)), config)
        return pulumi.Output.all(*[v for v in exports.values() if isinstance(v, pulumi.Output)]).apply(compare)

    registered()
    assert checked == [True]
