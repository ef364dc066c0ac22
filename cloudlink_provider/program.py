"""The Pulumi program body: one stack's customer spec -> CloudLink resources.

Reads `cloudlink-fleet:customer` from the stack config, validates it (a bad spec
stops the preview before any resource is registered, let alone written), and
declares the resources with dependencies flowing through outputs.
"""

from __future__ import annotations

import pulumi

from .resources.account import Account
from .resources.gateway import Gateway
from .resources.pbx_connection import PbxConnection
from .resources.role_assignment import RoleAssignment
from .resources.sso_scim_integration import SsoScimIntegration
from .resources.teams_integration import TeamsIntegration
from .customer.model import CustomerSpec, SpecError, parse_customer, readiness_warnings

# The write-only secrets a spec block needs, as keys of the stack's `cloudlink-fleet:` config (written once:
# the fleet's StackFile and importer read them from here).
SECRET_OF_BLOCK = {"pbx": "pbxPassword", "teams": "teamsClientSecret"}


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


def require_secret(config: pulumi.Config, key: str, needed_by: str) -> pulumi.Output[str]:
    value = config.get_secret(key)
    if value is None:
        raise pulumi.RunError(f"{needed_by} needs the secret `cloudlink-fleet:{key}`: "
                              f"pulumi config set --secret {key} --stack {pulumi.get_stack()} "
                              "(it prompts for the value, or reads it from stdin: keep it off the command line)")
    return value


def declare(spec: CustomerSpec, config: pulumi.Config) -> dict[str, object]:
    """Register the customer's resources; dependencies flow through outputs. Returns the stack's exports."""
    for warning in readiness_warnings(spec):
        pulumi.log.warn(warning)
    account = Account("account", spec.account)
    exports: dict[str, object] = {"accountId": account.accountId, "accountName": spec.account.name}
    if spec.gateway:
        gateway = Gateway("gateway", spec.gateway, account.accountId)
        exports["gatewayId"] = gateway.gatewayId
        if spec.pbx:
            pbx = PbxConnection("pbx", spec.pbx, account.accountId, gateway.gatewayId,
                                require_secret(config, SECRET_OF_BLOCK["pbx"], "customer.pbx"))
            exports["pbxStatus"] = pbx.status
            if spec.roles:
                roles = RoleAssignment("roles", spec.roles, account.accountId, pbx.id)
                exports["roleHolders"] = roles.roles.apply(len)
            if spec.teams:
                teams = TeamsIntegration("teams", spec.teams, account.accountId, pbx.id,
                                         require_secret(config, SECRET_OF_BLOCK["teams"], "customer.teams"))
                exports["teamsStatus"] = teams.status
                exports["teamsConsentUrl"] = teams.consentUrl
    if spec.sso:
        sso = SsoScimIntegration("sso", spec.sso, account.accountId)
        exports["ssoEntityId"] = sso.serviceProviderEntityId
        exports["ssoReplyUrl"] = sso.replyUrl
        if spec.sso.scim:
            exports["scimBaseUrl"] = sso.scimBaseUrl
            exports["scimToken"] = sso.scimToken  # a secret: `pulumi stack output --show-secrets scimToken`
    return exports


def main() -> None:
    config = pulumi.Config()
    for key, value in declare(load_spec(config), config).items():
        pulumi.export(key, value)
