"""The program's body as data: one customer spec -> the resources that deploy it. No Pulumi calls, no I/O.

`plan(spec, secrets)` is the one answer to "what does this spec want": `program.py`
registers exactly what it returns, and the unit tests and the fleet scan call the
same function. Each planned resource has its type token (`cloudlink:Gateway`), its
inputs, and the resources it depends on. An input taken from another resource is
a `Ref`; a write-only secret from the stack config is a `SecretRef`.

References use the other resource's `id`, never an output property: the engine
keeps an `id` known through an in-place update, so a rename of the account does
not make its dependents' inputs unknown in preview (the Python dynamic-provider
shim drops `DiffResult.stables`, so every output of a resource being updated is
unknown until `up`). The PBX link's id is `<account id>/<gateway id>`, so roles
and Teams compose it from those two (a `Join`) and wait for the link through an
explicit dependency: a link re-created or replaced in place keeps that id, and
the preview does not plan replacements that `up` would not make.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from .customer.model import CustomerSpec, readiness_warnings
from .customer.rules import PBX_MODELS
from .customer.users import NAME_REQUIRED_PBX, PBX_DIRECTORY, users_warnings
from .pulumi_facts import PROJECT
from .resources import (RESOURCE_TYPES, SSO_WANTED, Account, Gateway, PbxConnection, RoleAssignment,  # noqa: F401
                        SsoScimIntegration, TeamsIntegration, UserOnboarding, roles_input, users_input)

NAMESPACE = PROJECT  # the project's config namespace: Pulumi.yaml's name (pulumi_facts reads it once)
PBX_PASSWORD, TEAMS_SECRET = "pbxPassword", "teamsClientSecret"  # write-only secrets, as stack config keys
SECRET_OF_BLOCK = {"pbx": PBX_PASSWORD, "teams": TEAMS_SECRET}


@dataclass(frozen=True)
class Ref:
    """An input (or export) taken from another planned resource: its `id`, or one of its outputs.
    `length`: the number of items of a list output (an export only)."""
    resource: str
    output: str = "id"
    length: bool = False


@dataclass(frozen=True)
class Join:
    """A string input composed of references and text, e.g. the PBX link id `<account id>/<gateway id>`."""
    parts: tuple[Any, ...]


@dataclass(frozen=True)
class SecretRef:
    """A write-only secret from the stack config (`cloudlink-fleet:<key>`), registered as a Pulumi secret."""
    key: str


@dataclass(frozen=True)
class Planned:
    """One resource: its type token, its inputs (plain values, `Ref`s, `SecretRef`s) and what it depends on."""
    type: str
    inputs: dict[str, Any]
    depends_on: tuple[str, ...] = ()


@dataclass
class Plan:
    """What a spec wants, in registration order (dependencies first), plus the stack's exports."""
    resources: dict[str, Planned] = field(default_factory=dict)
    exports: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)  # readiness advisories: shown at preview, never errors

    def add(self, name: str, type_: str, inputs: dict[str, Any], after: tuple[str, ...] = ()) -> None:
        """Plan a resource; it depends on every resource its inputs refer to, and on those in `after`."""
        refs = [v for v in inputs.values() if isinstance(v, Ref)]
        refs += [p for v in inputs.values() if isinstance(v, Join) for p in v.parts if isinstance(p, Ref)]
        deps = tuple(dict.fromkeys([*(r.resource for r in refs), *after]))
        self.resources[name] = Planned(type_, inputs, deps)


class MissingSecret(ValueError):
    """A block needs a write-only secret the stack config does not hold; the message says how to set it."""

    def __init__(self, key: str, needed_by: str, stack: str = "<stack>"):
        self.key = key
        super().__init__(f"{needed_by} needs the secret `{NAMESPACE}:{key}`: "
                         f"pulumi config set --secret {key} --stack {stack} "
                         "(it prompts for the value, or reads it from stdin: keep it off the command line)")


def _secret(key: str, needed_by: str, secrets: Collection[str] | None, stack: str) -> SecretRef:
    if secrets is not None and key not in secrets:
        raise MissingSecret(key, needed_by, stack)
    return SecretRef(key)


def plan(spec: CustomerSpec, secrets: Collection[str] | None = None, stack: str = "<stack>") -> Plan:
    """The resources a validated customer spec deploys: {name: Planned(type, inputs, depends_on)}.

    `secrets` are the write-only secret keys the stack config holds (`pbxPassword`,
    `teamsClientSecret`); a block whose secret is missing raises `MissingSecret`.
    None means "do not judge" (a scan comparing a spec with what is live).
    Inputs are the spec's own fields (spec names, as `to_spec` returns them) plus
    references; names are stable: account, gateway, pbx, roles, teams, sso, users.
    """
    out = Plan(warnings=readiness_warnings(spec) + users_warnings(spec.users, spec.sso))
    account = Ref("account")
    out.add("account", Account.token(), spec.account.model_dump())
    out.exports.update(accountId=Ref("account", "accountId"), accountName=spec.account.name)
    if spec.gateway:
        out.add("gateway", Gateway.token(), {**spec.gateway.model_dump(), "accountId": account})
        out.exports["gatewayId"] = Ref("gateway", "gatewayId")
        if spec.pbx:
            out.add("pbx", PbxConnection.token(), {
                **spec.pbx.model_dump(), "accountId": account, "gatewayId": Ref("gateway"),
                "password": _secret(PBX_PASSWORD, "customer.pbx", secrets, stack)})
            out.exports["pbxStatus"] = Ref("pbx", "status")
            link_id = Join((account, "/", Ref("gateway")))  # = the pbx resource's id, known before it exists
            if spec.roles:
                out.add("roles", RoleAssignment.token(), {
                    "accountId": account, "pbxConnectionId": link_id, "roles": roles_input(spec.roles)},
                        after=("pbx",))
                out.exports["roleHolders"] = Ref("roles", "roles", length=True)
            if spec.teams:
                out.add("teams", TeamsIntegration.token(), {
                    **spec.teams.model_dump(), "accountId": account, "pbxConnectionId": link_id,
                    "clientSecret": _secret(TEAMS_SECRET, "customer.teams", secrets, stack)}, after=("pbx",))
                out.exports.update(teamsStatus=Ref("teams", "status"), teamsConsentUrl=Ref("teams", "consentUrl"))
    if spec.sso:
        # beyond the spec's fields: an active provider, CloudLink's own service-provider URLs, a current token
        out.add("sso", SsoScimIntegration.token(), {**spec.sso.model_dump(), **SSO_WANTED, "accountId": account})
        out.exports.update(ssoEntityId=Ref("sso", "serviceProviderEntityId"), ssoReplyUrl=Ref("sso", "replyUrl"))
        if spec.sso.scim:
            out.exports["scimBaseUrl"] = Ref("sso", "scimBaseUrl")
            out.exports["scimToken"] = Ref("sso", "scimToken")  # a secret: `pulumi stack output --show-secrets`
    if spec.users:  # after what brings the users: the connected PBX link, or SSO with Azure AD Sync
        from_pbx = spec.users.source == PBX_DIRECTORY
        model = PBX_MODELS[spec.pbx.type] if from_pbx and spec.pbx else None
        # `after` holds the id of what must exist first, composed from ids that stay known while that is
        # re-created or replaced (the link's is <account>/<gateway>, SSO's is the account's), plus an
        # explicit dependency for the ordering: no phantom change in preview
        after = Join((account, "/", Ref("gateway"))) if from_pbx and spec.gateway else account
        out.add("users", UserOnboarding.token(), {
            **users_input(spec.users), "accountId": account, "after": after,
            "maxUsers": model.max_users if model else None, "pbxTitle": model.title if model else None,
            "requireName": bool(model and model.api_type in NAME_REQUIRED_PBX)},
                after=("pbx" if from_pbx else "sso",))
        out.exports["users"] = Ref("users", "summary")
    return out
