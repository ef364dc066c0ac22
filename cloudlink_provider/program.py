"""The Pulumi program: registers what `cloudlink_provider.plan` says one stack's customer spec wants.

Reads the stack's own layer (`cloudlink-fleet:customer`, `:profiles`, `:labels`)
from the stack config and the fleet file (`stacks/fleet.yaml`), layers them with the
one merge (`customer.layers.effective`) and validates the effective spec (a bad
spec stops the preview before any resource is registered, let alone written),
asks the pure plan for the resources, then registers each one in order,
turning the plan's references into Pulumi outputs (`Ref` -> the other
resource's id or output, `SecretRef` -> the secret config value). It decides
nothing itself: anything that needs "what the spec wants" calls the plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pulumi

from .customer.layers import LayerError, effective, validated
from .customer.model import CustomerSpec, SpecError
from .fleetfile import CUSTOMER_KEY, LABELS_KEY, PROFILES_KEY, FleetFile, FleetFileError, customer_layer, stacks_dir_of
from .plan import RESOURCE_TYPES, SECRET_OF_BLOCK, Join, MissingSecret, Plan, Ref, SecretRef, plan


def load_spec(config: pulumi.Config | None = None, project_dir: Path | None = None) -> CustomerSpec:
    """This stack's effective customer spec: the fleet file's layers under the stack's own, validated."""
    config = config or pulumi.Config()
    stack = pulumi.get_stack()
    stacks_dir = stacks_dir_of(project_dir or Path.cwd())
    raw = config.get_object("customer")
    file = f"{stacks_dir.name}/Pulumi.{stack}.yaml"
    if raw is None:
        raise pulumi.RunError(f"this stack has no customer spec: set `cloudlink-fleet:customer` in {file}")
    layer = customer_layer(stack, {CUSTOMER_KEY: raw, PROFILES_KEY: config.get_object("profiles"),
                                   LABELS_KEY: config.get_object("labels")}, file)
    try:
        return validated(effective(FleetFile(stacks_dir).read().fleet, layer))
    except (SpecError, LayerError, FleetFileError) as e:
        raise pulumi.RunError(str(e)) from None


def configured_secrets(config: pulumi.Config) -> set[str]:
    """The write-only secret keys this stack's config holds."""
    return {key for key in SECRET_OF_BLOCK.values() if config.get_secret(key) is not None}


def register(the_plan: Plan, config: pulumi.Config) -> dict[str, Any]:
    """Register every planned resource; returns the stack's exports with references resolved."""
    for warning in the_plan.warnings:
        pulumi.log.warn(warning)
    registered: dict[str, pulumi.CustomResource] = {}

    def resolve(value: Any) -> Any:
        if isinstance(value, SecretRef):
            return config.require_secret(value.key)
        if isinstance(value, Ref):
            resource = registered[value.resource]
            out = resource.id if value.output == "id" else getattr(resource, value.output)
            return out.apply(len) if value.length else out
        if isinstance(value, Join):
            return pulumi.Output.concat(*(resolve(p) for p in value.parts))
        return value

    for name, planned in the_plan.resources.items():
        inputs = {k: resolve(v) for k, v in planned.inputs.items()}
        after = pulumi.ResourceOptions(depends_on=[registered[d] for d in planned.depends_on])
        registered[name] = RESOURCE_TYPES[planned.type](name, inputs, after)
    return {key: resolve(value) for key, value in the_plan.exports.items()}


def main() -> None:
    config = pulumi.Config()
    spec = load_spec(config)
    try:
        the_plan = plan(spec, configured_secrets(config), pulumi.get_stack())
    except MissingSecret as e:
        raise pulumi.RunError(str(e)) from None
    for key, value in register(the_plan, config).items():
        pulumi.export(key, value)
