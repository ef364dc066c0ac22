"""What a customer's spec asks for, as data: resource name -> (provider, inputs, depends on).

SEAM, to be replaced by the program's own pure plan (issue 10, point 2): when
`program.plan(spec)` lands, `desired()` returns what it returns and this copy of
the program's body goes. Until then it mirrors `program.declare` and each
Resource class's property dict line by line (same names, same order, same
`None` outputs dropped as the Python SDK drops them), and
tests/unit/fleet/test_desired.py checks it against the program by registering
the real program under Pulumi's mocks.

A value another resource produces is a `Ref(resource, output)`; the scan
resolves it the way the engine does during a preview (known from state when
that resource is unchanged, unknown when it is created or replaced).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..customer.model import CustomerSpec
from ..resources.account import AccountProvider
from ..resources.gateway import GatewayProvider
from ..resources.pbx_connection import PbxConnectionProvider
from ..resources.role_assignment import RoleAssignmentProvider, _as_list
from ..resources.sso_scim_integration import SsoScimProvider
from ..resources.teams_integration import TeamsIntegrationProvider
from ..resources._base import CloudLinkProvider

TYPE_PREFIX = "pulumi-python:dynamic/"


@dataclass(frozen=True)
class Ref:
    """The output `output` (or `id`) of the resource named `resource`."""
    resource: str
    output: str


@dataclass(frozen=True)
class Secret:
    """A value the program wraps as a Pulumi secret (`pulumi.Output.secret`)."""
    value: Any


@dataclass
class Planned:
    name: str
    type: str  # the engine's type token, e.g. pulumi-python:dynamic/cloudlink:Account
    provider: type[CloudLinkProvider]
    inputs: dict[str, Any]
    depends_on: list[str] = field(default_factory=list)
    secret_outputs: tuple[str, ...] = ()


class MissingSecret(ValueError):
    pass


def _planned(name: str, token: str, provider: type[CloudLinkProvider], props: dict[str, Any],
             secret_outputs: tuple[str, ...] = ()) -> Planned:
    deps = sorted({v.resource for v in props.values() if isinstance(v, Ref)})
    inputs = {k: v for k, v in props.items() if v is not None}  # the SDK sends no None property
    return Planned(name, TYPE_PREFIX + token, provider, inputs, deps, secret_outputs)


def _secret(secrets: dict[str, str], key: str, needed_by: str, stack: str) -> Secret:
    if not secrets.get(key):
        raise MissingSecret(f"{needed_by} needs the secret `cloudlink-fleet:{key}`: "
                            f"pulumi config set --secret {key} --stack {stack} "
                            "(it prompts for the value, or reads it from stdin: keep it off the command line)")
    return Secret(secrets[key])


def desired(spec: CustomerSpec, secrets: dict[str, str], stack: str) -> dict[str, Planned]:
    """The resources `program.declare` registers for this spec, in registration order."""
    plan: dict[str, Planned] = {}

    def add(p: Planned) -> None:
        plan[p.name] = p

    add(_planned("account", "cloudlink:Account", AccountProvider,
                 {**spec.account.model_dump(), "accountId": None, "accountNumber": None, "partnerId": None}))
    if spec.gateway:
        add(_planned("gateway", "cloudlink:Gateway", GatewayProvider,
                     {**spec.gateway.model_dump(), "accountId": Ref("account", "accountId"), "gatewayId": None,
                      "status": None}))
        if spec.pbx:
            add(_planned("pbx", "cloudlink:PbxConnection", PbxConnectionProvider,
                         {**spec.pbx.model_dump(), "accountId": Ref("account", "accountId"),
                          "gatewayId": Ref("gateway", "gatewayId"),
                          "password": _secret(secrets, "pbxPassword", "customer.pbx", stack), "status": None},
                         ("password",)))
            if spec.roles:
                add(_planned("roles", "cloudlink:RoleAssignment", RoleAssignmentProvider,
                             {"accountId": Ref("account", "accountId"), "pbxConnectionId": Ref("pbx", "id"),
                              "roles": _as_list({r.extension: r.role for r in spec.roles})}))
            if spec.teams:
                add(_planned("teams", "cloudlink:TeamsIntegration", TeamsIntegrationProvider,
                             {**spec.teams.model_dump(), "accountId": Ref("account", "accountId"),
                              "pbxConnectionId": Ref("pbx", "id"),
                              "clientSecret": _secret(secrets, "teamsClientSecret", "customer.teams", stack),
                              "integrationId": None, "status": None, "consentUrl": None},
                             ("clientSecret",)))
    if spec.sso:
        add(_planned("sso", "cloudlink:SsoScimIntegration", SsoScimProvider,
                     {**spec.sso.model_dump(), "accountId": Ref("account", "accountId"),
                      "serviceProviderEntityId": None, "replyUrl": None, "scimBaseUrl": None, "scimToken": None},
                     ("scimToken",)))
    return plan
