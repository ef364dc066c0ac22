"""The Pulumi program body: one stack's customer spec -> CloudLink resources.

Reads `cloudlink-fleet:customer` from the stack config, validates it (a bad spec
stops the preview before any resource is registered, let alone written), and
declares the resources with dependencies flowing through outputs.
"""

from __future__ import annotations

import pulumi

from .resources.account import Account
from .spec.customer import CustomerSpec, SpecError, parse_customer, readiness_warnings


def load_spec(config: pulumi.Config | None = None) -> CustomerSpec:
    config = config or pulumi.Config()
    raw = config.get_object("customer")
    if raw is None:
        raise pulumi.RunError("this stack has no customer spec: set `cloudlink-fleet:customer` in "
                              f"stacks/Pulumi.{pulumi.get_stack()}.yaml")
    try:
        return parse_customer(raw)
    except SpecError as e:
        raise pulumi.RunError(str(e)) from None


def declare(spec: CustomerSpec) -> dict[str, object]:
    """Register the customer's resources; returns what the stack exports."""
    for warning in readiness_warnings(spec):
        pulumi.log.warn(warning)
    account = Account("account", spec.account)
    return {"accountId": account.accountId, "accountName": spec.account.name}


def main() -> None:
    for key, value in declare(load_spec()).items():
        pulumi.export(key, value)
