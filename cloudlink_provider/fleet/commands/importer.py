"""`cloudlink fleet import`: bring customers that already exist in CloudLink under management.

Owns turning a live customer (read with the typed client: the account, its
gateway, the gateway's PBX link, the PBX roles, the Teams integration, the SSO
identity provider and Azure AD Sync) into a new stack: `stacks/Pulumi.<name>.yaml`
with the provider config (the client secret stored as a Pulumi secret by the
engine, through the gateway, in a stack created with the passphrase provider) and a
customer spec in the spec block format (spec names, not API enums) whose
account block carries `adoptAccountId`. Every resource's create adopts the live
object by its natural key, so the next `up` creates nothing and the following
preview shows no changes. The spec is validated with `parse_customer` before
anything is written; a customer whose live data breaks a spec rule fails with
that rule's message. The API->spec mapping of each block is not here: it lives
on the resource that owns it (`resources.<resource>.to_spec`, which `read` and
the fleet scan call too); this module only orchestrates.

Write-only secrets (the PBX password, the Teams client secret) cannot be read
back: they are stored only when the caller hands them over (from environment
variables), otherwise the result lists the `pulumi config set --secret`
commands still needed (and the program refuses to run without them). Never
invents a value, never overwrites an existing stack file, never deploys.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, TypeVar

from ...client import (Account, AzureSync, ClientConfig, CloudLink, CloudLinkError, Gateway, IdentityProvider,
                       PbxLink, PbxRole, TeamsIntegration, User)
from ...customer.layers import CustomerLayer, LayerError, compact, effective
from ...customer.model import SpecError, parse_customer
from ...customer.rules import PBX_KINDS_BY_API, PBX_MODELS
from ...fleetfile import FleetContent, FleetFile, FleetFileError
from ...passphrase import passphrase_from
from ...plan import PBX_PASSWORD, SECRET_OF_BLOCK, TEAMS_SECRET  # noqa: F401 - one home: the plan
from ...resources import account as account_resource
from ...resources import gateway as gateway_resource
from ...resources import pbx_connection as pbx_resource
from ...resources import role_assignment as roles_resource
from ...resources import sso_scim_integration as sso_resource
from ...resources import teams_integration as teams_resource
from ...resources import LiveSso
from ...wire import AZURE_SAML_ENTITY_ID, AZURE_SAML_REPLY_URL
from ..engine.gateway import EngineFailed, Project, StackAlreadyExists
from ..errors import FleetError, usage
from ..import_secrets import SecretSource, refuse_shared
from ..stacks import CLIENT_ID_KEY, CLIENT_SECRET_KEY, ENDPOINT_KEY, NAMESPACE, STACK_NAME, StackFile, discover_stacks
from ..state.secrets import Passphrase, fleet_salt

IMPORTED, SKIPPED, FAILED = "imported", "skipped", "failed"
T = TypeVar("T")
FLEET_FILE_HEADER = ("# The fleet file: what every customer in this folder shares (README, \"Layering\"). Created by\n"
                     "# `cloudlink fleet import`; add defaults and profiles, and customers opt in with\n"
                     "# `cloudlink-fleet:profiles` in their stack files.\n")
BLOCKS = ("account", "gateway", "pbx", "roles", "teams", "sso")


def secret_command(key: str, stack: str) -> str:
    """The command that sets a missing secret (the same one the program names when it is missing).

    The value is not part of it: pulumi prompts for it or reads stdin, so it stays out of shell
    history and process lists."""
    return f"pulumi config set --secret {key} --stack {stack}"


@dataclass
class ImportResult:
    account_id: str
    account_name: str
    stack: str | None
    status: str
    reason: str = ""
    blocks: list[str] = field(default_factory=list)  # the spec blocks written
    warnings: list[str] = field(default_factory=list)
    missing_secrets: list[str] = field(default_factory=list)  # config keys `up` still needs

    def secret_commands(self) -> list[str]:
        return [secret_command(key, self.stack or "<stack>") for key in self.missing_secrets]


@dataclass
class LiveCustomer:
    """What CloudLink holds for one customer, as the client reads it."""
    account: Account
    gateways: list[Gateway] = field(default_factory=list)  # oldest first
    pbx_link: PbxLink | None = None  # the first gateway's
    roles: list[PbxRole] = field(default_factory=list)
    teams: TeamsIntegration | None = None
    identity: IdentityProvider | None = None
    sync: AzureSync | None = None
    users: list[User] = field(default_factory=list)  # CloudLink users of the account (not imported: said so)


@dataclass
class ImportedSpec:
    """A live customer in the spec block format, and what the reader should know about it."""
    spec: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    @property
    def needed_secrets(self) -> list[str]:
        return [key for block, key in SECRET_OF_BLOCK.items() if block in self.spec]


def credentials_from_options(endpoint: str | None, client_id: str | None,
                             client_secret: str | None) -> ClientConfig:
    """The partner's API credentials as given on the command line (or its environment variables);
    a missing one is bad usage. (The provider reads its own from the stack config:
    `resources.credentials_from_config`.)"""
    missing = [flag for flag, value in (("--endpoint / CLOUDLINK_ENDPOINT", endpoint),
                                        ("--client-id / CLOUDLINK_CLIENT_ID", client_id),
                                        ("--client-secret / CLOUDLINK_CLIENT_SECRET", client_secret)) if not value]
    if missing:
        raise usage("missing CloudLink credentials: " + ", ".join(missing))
    return ClientConfig(endpoint=endpoint, client_id=client_id, client_secret=client_secret)  # type: ignore[arg-type]


def stack_name_for(account_name: str) -> str:
    """A stack name from an account name: `Café Müller GmbH` -> `cafe-muller-gmbh`."""
    ascii_name = unicodedata.normalize("NFKD", account_name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:80] or "customer"


def account_block(account: Account) -> dict[str, Any]:
    """The spec's account block for a live account: what it is now, plus `adoptAccountId`."""
    live = account_resource.to_spec(account)
    block: dict[str, Any] = _without_none({k: live[k] for k in ("name", "domain", "languageCode")})
    if not live["active"]:
        block["active"] = False
    block["adoptAccountId"] = account.accountId
    return block


def _extension_order(role: PbxRole) -> tuple[int, str]:
    return len(role.extension), role.extension


def read_customer(client: CloudLink, account: Account) -> LiveCustomer:
    """Everything of the customer that a spec can describe (GET calls only)."""
    account_id = account.accountId
    # Creation order; a stable sort keeps the API's own order for equal timestamps.
    gateways = sorted(client.gateways.list(account_id), key=lambda g: g.createdOn or "")
    link = client.gateways.get_pbx_link(account_id, gateways[0].gatewayId) if gateways else None
    model = PBX_MODELS.get(PBX_KINDS_BY_API.get(link.pbxType, "")) if link else None
    roles = list(client.roles.list(account_id)) if model and model.role else []
    identity = client.identity.get(account_id)
    return LiveCustomer(account=account, gateways=gateways, pbx_link=link, roles=roles,
                        teams=client.integrations.find_teams(account_id), identity=identity,
                        sync=client.scim.get(account_id), users=list(client.users.list(account_id)))


def customer_spec(live: LiveCustomer) -> ImportedSpec:
    """The customer spec (spec names, not API enums) that adopts exactly what is live.

    Orchestration only: each block comes from its resource's `to_spec` (the one API->spec
    mapping, which `read` and the fleet scan use too); this picks which live objects a stack
    manages, drops what the spec leaves at its defaults, and says what the reader should know.

    Not validated here: `parse_customer` judges it, so a live customer that
    breaks a spec rule fails with that rule's message. Left out on purpose:
    the PBX's `users`/`bhcc` and `micollabVersion` (planning numbers CloudLink
    does not store: their defaults apply) and the write-only secrets.
    """
    spec: dict[str, Any] = {"account": account_block(live.account)}
    warnings: list[str] = []
    if live.gateways:
        gateway = live.gateways[0]
        if len(live.gateways) > 1:
            others = ", ".join(g.serialNumber for g in live.gateways[1:])
            warnings.append(f"the account has {len(live.gateways)} gateways; imported the first by creation order "
                            f"({gateway.serialNumber}); not imported (a stack manages one): {others}")
        spec["gateway"] = _without_none(gateway_resource.to_spec(gateway))
        link = live.pbx_link
        if link is not None:
            spec["pbx"] = _without_none(pbx_resource.to_spec(link))
            if link.status == "FAILED":
                warnings.append(f"the PBX link to {link.host} is FAILED: `up` re-sends its credentials and fails "
                                "unless the gateway then connects")
            model = PBX_MODELS.get(spec["pbx"]["type"])
            if model and model.role:
                held = [r for r in live.roles if r.gatewayId in (None, gateway.gatewayId)]
                if len(held) < len(live.roles):
                    warnings.append(f"{len(live.roles) - len(held)} PBX role(s) held through other gateways are "
                                    "not imported (and left alone)")
                if held:
                    spec["roles"] = roles_resource.to_spec(held)
    if live.teams is not None:
        spec["teams"] = teams_resource.to_spec(live.teams)
    syncing = bool(live.sync and live.sync.enabled)
    identity = live.identity
    known = identity is None or (identity.type or "AZURE") in sso_resource.SSO_PROVIDERS_BY_API
    if identity is not None and not known:
        warnings.append(f"the SSO identity provider is of type {identity.type}, which this tool does not manage "
                        f"(only {', '.join(sso_resource.SSO_PROVIDERS_BY_API)}): no `sso` block is written, and "
                        "it is left alone")
    if identity is not None and identity.saml is not None and known:
        saml = identity.saml
        account_id = live.account.accountId
        sso = _without_none(sso_resource.to_spec(LiveSso(identity, live.sync)))
        if not sso["scim"]:
            del sso["scim"]  # the spec's default
        spec["sso"] = sso
        if not identity.active:
            warnings.append("the SSO identity provider is inactive: `up` activates it")
        if (saml.serviceProviderIssuerId, saml.serviceProviderReplyUrl) != (
                AZURE_SAML_ENTITY_ID.format(account_id=account_id), AZURE_SAML_REPLY_URL.format(account_id=account_id)):
            warnings.append("the SSO identity provider names another service provider entity id or reply URL: "
                            "`up` sets CloudLink's own")
        if syncing:
            warnings.append("Azure AD Sync is on: `up` rotates its SCIM token (the old one cannot be read back); "
                            "give Azure AD the new one: `pulumi stack output --show-secrets scimToken`")
    elif syncing and known:
        warnings.append("Azure AD Sync is on but the account has no SSO identity provider: a spec describes sync "
                        "only under sso, so it is not imported (and left alone)")
    if live.users:
        warnings.append(users_left_out(live.users, syncing and "sso" in spec))
    return ImportedSpec(spec, warnings)


def users_left_out(users: list[User], synced: bool) -> str:
    """The note for the CloudLink users an import does not bring under a `users` block."""
    with_ext = sorted((u.extension for u in users if u.extension), key=lambda e: (len(e), e))
    shown = ", ".join(with_ext[:8]) + (", ..." if len(with_ext) > 8 else "")
    what = (f"{len(users)} CloudLink user(s)" + (f" (extensions {shown})" if with_ext else ""))
    if synced:
        hint = "add `users: {source: azure-ad-sync}` to report them and deploy the application"
    else:
        hint = ("add a `users` block listing their extensions with `welcomeEmail: false` to manage them "
                "(existing users are adopted, not emailed)")
    return f"{what} not imported: no `users` block is written, so `up` leaves them alone; {hint}"


def _without_none(block: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in block.items() if v is not None}


def secrets_from_env(env_vars: Mapping[str, str | None], environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """{config key: secret} from `{config key: environment variable name}`; an unset variable is bad usage."""
    environ = os.environ if environ is None else environ
    secrets = {}
    for key, var in env_vars.items():
        if not var:
            continue
        value = environ.get(var)
        if not value:
            raise usage(f"the environment variable {var} (the {key} to store) is not set or empty")
        secrets[key] = value
    return secrets


class Importer:
    def __init__(self, project: Project, config: ClientConfig, secrets: Mapping[str, str] | None = None,
                 sources: Mapping[str, SecretSource] | None = None):
        self.project = project
        self.config = config
        self.secrets = dict(secrets or {})  # config key -> value, stored where a customer needs it
        self.sources = dict(sources or {})  # config key -> where each customer's own value is read

    def _secret(self, key: str, stack: str) -> str | None:
        if key in self.sources:
            return self.sources[key].value(stack)
        return self.secrets.get(key)

    # -- what is already managed ---------------------------------------------------------------
    def _managed(self) -> tuple[dict[str, str], dict[str, str]]:
        """({account id: stack}, {account name: stack}) that existing stack files already manage (by
        `adoptAccountId`, or by the name their `up` creates or adopts)."""
        ids, names = {}, {}
        for stack in discover_stacks(self.project.stacks_dir):
            account = StackFile(self.project.stacks_dir, stack).spec().get("account") or {}
            if not isinstance(account, dict):
                continue
            if account.get("adoptAccountId"):
                ids[str(account["adoptAccountId"])] = stack
            if account.get("name"):
                names[str(account["name"])] = stack
        return ids, names

    def managed_by(self, account: Account) -> str | None:
        """The stack that already manages this account, if any."""
        ids, names = self._managed()
        return ids.get(account.accountId) or names.get(account.name)

    # -- the two forms -------------------------------------------------------------------------
    def import_one(self, account_id: str, name: str | None = None) -> ImportResult:
        """One customer by account id; any problem is a `FleetError`."""
        if name is not None and not STACK_NAME.match(name):
            raise usage(f"--name {name!r}: a stack name is letters, digits, '-', '_' and '.' only")

        def read(client: CloudLink) -> LiveCustomer | None:
            account = client.accounts.get(account_id)
            return None if account is None else read_customer(client, account)

        live = self._call(read)
        if live is None:
            raise FleetError(f"no customer account {account_id} is visible to client {self.config.client_id} "
                             f"at {self.config.endpoint}")
        owner = self.managed_by(live.account)
        if owner is not None:  # a second stack would manage the same account, gateway, PBX link, roles and SSO
            raise usage(f"account {account_id} ({live.account.name}) is already managed by stack {owner} "
                        f"(stacks/Pulumi.{owner}.yaml); edit that file instead of importing it again")
        stack = name or stack_name_for(live.account.name)
        if StackFile(self.project.stacks_dir, stack).exists():
            raise usage(f"{StackFile(self.project.stacks_dir, stack).path} already exists; choose another --name")
        result = self._write(live, stack)
        if result.status == FAILED:
            raise FleetError(f"account {account_id}: {result.reason}")
        return result

    def import_all(self) -> list[ImportResult]:
        """Every customer the credentials can see, skipping those a stack file already manages."""
        return self._call(self._import_all)

    def _import_all(self, client: CloudLink) -> list[ImportResult]:
        accounts = list(client.accounts.list())
        ids, names = self._managed()
        taken = set(discover_stacks(self.project.stacks_dir))
        results = []
        todo: list[tuple[LiveCustomer, str]] = []
        for account in sorted(accounts, key=lambda a: (a.name, a.accountId)):
            owner = ids.get(account.accountId) or names.get(account.name)
            if owner is not None:
                results.append(ImportResult(account.accountId, account.name, None, SKIPPED,
                                            f"already managed by stack {owner}"))
                continue
            stack = stack_name_for(account.name)
            if stack in taken:
                stack = f"{stack}-{account.accountNumber or account.accountId[:8]}"
            if stack in taken:
                results.append(ImportResult(account.accountId, account.name, stack, SKIPPED,
                                            f"a stack file named {stack} already exists"))
                continue
            try:
                live = read_customer(client, account)
            except CloudLinkError as e:  # this customer fails; the others go on
                results.append(ImportResult(account.accountId, account.name, stack, FAILED,
                                            f"reading it from CloudLink: {e}"))
                continue
            taken.add(stack)
            todo.append((live, stack))
        # every customer gets its own write-only secrets: one shared variable for several is refused, before
        # anything is written
        needing: dict[str, list[str]] = {}
        for live, stack in todo:
            for key in customer_spec(live).needed_secrets:
                needing.setdefault(key, []).append(stack)
        refuse_shared(self.sources, needing)
        results += [self._write(live, stack) for live, stack in todo]
        return sorted(results, key=lambda r: (r.account_name, r.account_id))

    # -- the work ------------------------------------------------------------------------------
    def _fleet_salt(self) -> str:
        return fleet_salt(self.project.stacks_dir, self._crypt())

    def _crypt(self) -> Passphrase:
        """One passphrase (keys derived once) for every secret this import writes or reads."""
        if getattr(self, "_passphrase", None) is None:
            phrase = passphrase_from(self.project.env)
            if phrase is None:
                raise usage("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): imported secrets are "
                            "encrypted with it")
            self._passphrase = Passphrase(phrase)
        return self._passphrase

    def _fleet_file(self) -> FleetContent:
        """The fleet file the stacks layer over; created (provider settings, the client secret encrypted
        with the fleet's salt) when the project has none yet, so no stack file repeats the credentials."""
        file = FleetFile(self.project.stacks_dir)
        if not file.exists():
            salt = self._fleet_salt()
            sealed = self._crypt().encrypt(salt, self.config.client_secret)
            file.save({"encryptionsalt": salt,
                       "provider": {"endpoint": self.config.endpoint, "clientId": self.config.client_id,
                                    "clientSecret": {"secure": sealed}}}, FLEET_FILE_HEADER)
        try:
            return file.read()
        except FleetFileError as e:
            raise FleetError(str(e)) from None

    def _own_provider_settings(self, fleet: FleetContent) -> dict[str, str]:
        """The provider settings a new stack file must carry itself: those the fleet file gives differently."""
        ours = {ENDPOINT_KEY: self.config.endpoint, CLIENT_ID_KEY: self.config.client_id,
                CLIENT_SECRET_KEY: self.config.client_secret}
        try:
            given = FleetFile(self.project.stacks_dir).provider_settings(self._crypt())
        except FleetFileError as e:
            raise FleetError(str(e)) from None
        return {k: v for k, v in ours.items() if given.get(k) != v}

    def _call(self, fn: Callable[[CloudLink], T]) -> T:
        try:
            with CloudLink(self.config) as client:
                return fn(client)
        except CloudLinkError as e:
            raise FleetError(f"CloudLink at {self.config.endpoint}: {e}") from None

    def _set_secret(self, stack: str, key: str, value: str) -> None:
        """`pulumi config set --secret`, the value on stdin (never on a command line)."""
        try:
            self.project.set_config(stack, key, value, secret=True)
        except EngineFailed as e:
            raise FleetError(f"setting {key}: {e.last_error}") from None

    def _write(self, live: LiveCustomer, stack: str) -> ImportResult:
        account = live.account
        imported = customer_spec(live)
        blocks = [b for b in BLOCKS if b in imported.spec]
        result = ImportResult(account.accountId, account.name, stack, IMPORTED, blocks=blocks,
                              warnings=imported.warnings)
        try:
            parse_customer(imported.spec)
            fleet = self._fleet_file()
            # the compact form: what the fleet file already gives is left out (README, "Layering")
            inherited = effective(fleet.fleet, CustomerLayer(stack, f"stacks/Pulumi.{stack}.yaml", {}))
            written = compact(inherited, imported.spec)
            if parse_customer(effective(fleet.fleet, CustomerLayer(stack, "", written)).spec) != \
                    parse_customer(imported.spec):  # pragma: no cover - compact() is exact by construction
                raise SpecError(["the compact form does not give back the imported spec"])
        except (SpecError, LayerError) as e:
            result.status, result.reason = FAILED, str(e)
            return result
        except FleetError as e:
            result.status, result.reason = FAILED, str(e)
            return result
        stored = {key: value for key in imported.needed_secrets if (value := self._secret(key, stack))}
        result.missing_secrets = [key for key in imported.needed_secrets if key not in stored]
        file = StackFile(self.project.stacks_dir, stack)
        try:
            # Every fleet-written stack carries the fleet's one encryption salt (README, "Secrets"): the engine
            # keeps an encryptionsalt it finds in the stack file, and a scan derives one key for the fleet.
            file.save({"encryptionsalt": self._fleet_salt()})
            self.project.init_stack(stack)
        except StackAlreadyExists:
            file.path.unlink(missing_ok=True)
            result.status, result.reason = FAILED, (f"the backend already has a stack named {stack}; "
                                                    "choose another --name")
            return result
        except EngineFailed as e:
            file.path.unlink(missing_ok=True)
            result.status, result.reason = FAILED, e.last_error[:300]
            return result
        try:
            own = self._own_provider_settings(fleet)  # what the fleet file does not already say
            plain = {k: v for k, v in own.items() if k != CLIENT_SECRET_KEY}
            if plain:
                self.project.set_config_all(stack, plain)
            if CLIENT_SECRET_KEY in own:
                self._set_secret(stack, CLIENT_SECRET_KEY, own[CLIENT_SECRET_KEY])
            for key, value in stored.items():
                self._set_secret(stack, f"{NAMESPACE}:{key}", value)
        except (EngineFailed, FleetError) as e:
            reason = e.last_error if isinstance(e, EngineFailed) else str(e).strip().splitlines()[-1]
            result.status, result.reason = FAILED, reason[:300]
            try:  # no half-configured stack left behind: a re-run creates it afresh
                self.project.remove_stack(stack)
            except EngineFailed:
                pass
            return result
        header = (f"# Imported from CloudLink account {account.accountId} ({account.name}) by "
                  f"`cloudlink fleet import` on {datetime.now(timezone.utc):%Y-%m-%d}.\n")
        for warning in imported.warnings:  # what the import left out or will change, in the file too
            header += f"# note: {warning}\n"
        if "pbx" in imported.spec:
            header += ("# pbx.users and pbx.bhcc are planning numbers CloudLink does not store: add them to have "
                       "the PBX's capacity checked.\n")
        file.set_spec(written, header)  # beside what the engine wrote: the salt and the secrets
        return result
