"""IaC coverage: what CloudLink has that no stack manages, found during the scan (GETs only).

Owns the list of unmanaged objects and the command that adopts each:

- customer accounts of the partner that no stack manages (by state id,
  `adoptAccountId`, or the name a stack's `up` would adopt by);
- on managed accounts: gateways the stack does not own (with their PBX links), a
  PBX link on the stack's gateway when the spec has no `pbx`, a Teams integration
  when the spec has no `teams`, an SSO identity provider when it has no `sso`.

Role holders on extensions the spec does not list are deliberately left out: the
RoleAssignment resource manages only the extensions it lists, and others may be
managed in the console (README, "Coverage"). The scan calls `managing()` and
`owned()` per stack and `partner_accounts()` once per set of credentials;
it never changes anything.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol

from ...client import CloudLink, CloudLinkError
from ...customer.model import CustomerSpec
from ...resources import credentials_from_config, shared_client

ACCOUNT, GATEWAY, PBX, TEAMS, SSO = "account", "gateway", "pbx", "teams", "sso"


class Config(Protocol):
    """A stack's provider settings: what `configure()` reads (`get("cloudlink:endpoint")`)."""
    def get(self, key: str) -> Any: ...


@dataclass(frozen=True)
class Unmanaged:
    kind: str          # account | gateway | pbx | teams | sso
    account_id: str
    account_name: str
    id: str            # the object's id (the account id for account, pbx and sso)
    description: str
    stack: str | None  # the stack managing the account, for objects on managed accounts

    @property
    def command(self) -> str:
        """What adopts it, and works: importing an unmanaged account; for an object on a managed account,
        the block to add to the stack that manages it (never a second import of the same account)."""
        if self.kind == ACCOUNT:
            return f"cloudlink fleet import --account-id {self.account_id}"
        if self.kind == GATEWAY:
            return (f"none: a stack manages one gateway today, so this one stays unmanaged "
                    f"(stacks/Pulumi.{self.stack}.yaml manages the account's first)")
        return (f"add a `{self.kind}` block describing it to stacks/Pulumi.{self.stack}.yaml: "
                f"the next `cloudlink fleet up` adopts it")

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "accountId": self.account_id, "accountName": self.account_name, "id": self.id,
                "description": self.description, "stack": self.stack,
                "importCommand": self.command if self.kind == ACCOUNT else None, "adoptWith": self.command}


class Coverage:
    """Collects, across the scan's threads, which accounts are managed and what is unmanaged."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clients: dict[tuple[str, str], CloudLink] = {}
        self.managed_ids: dict[tuple[str, str], set[str]] = {}
        self.managed_names: dict[tuple[str, str], set[str]] = {}
        self.items: list[Unmanaged] = []

    def _client(self, stack: Config) -> tuple[tuple[str, str], CloudLink]:
        credentials = getattr(stack, "credentials", None)  # a scanned stack: its own settings, then the fleet file's
        config = credentials() if callable(credentials) else credentials_from_config(stack, fleet={})
        client = shared_client(config)
        key = (config.endpoint, config.client_id)  # one partner: one set of accounts
        with self._lock:
            self.clients[key] = client
            self.managed_ids.setdefault(key, set())
            self.managed_names.setdefault(key, set())
        return key, client

    def managing(self, name: str, stack: Config, spec: CustomerSpec) -> None:
        """The stack's spec names this account (adopted by id, or by name on its first `up`)."""
        config, _ = self._client(stack)
        with self._lock:
            self.managed_names[config].add(spec.account.name)
            if spec.account.adoptAccountId:
                self.managed_ids[config].add(spec.account.adoptAccountId)

    def managed_by_engine(self, endpoint: str, client_id: str, spec: CustomerSpec) -> None:
        """A stack the scan handed to the engine (its secrets are not the scan's to decrypt): its account is
        managed, known by the name its `up` adopts by (or its `adoptAccountId`); what else is on it is not looked at."""
        config = (endpoint, client_id)
        with self._lock:
            self.managed_names.setdefault(config, set()).add(spec.account.name)
            self.managed_ids.setdefault(config, set())
            if spec.account.adoptAccountId:
                self.managed_ids[config].add(spec.account.adoptAccountId)

    def owned(self, name: str, stack: Config, spec: CustomerSpec, refreshed: dict[str, tuple[str, dict]]) -> None:
        """After the refresh: look for objects on the stack's account that it does not own."""
        if "account" not in refreshed:
            return  # not deployed (or deleted outside): nothing of it is live to compare against
        config, client = self._client(stack)
        account_id, account = refreshed["account"][0], refreshed["account"][1]
        account_name = account.get("name") or spec.account.name
        with self._lock:
            self.managed_ids[config].add(account_id)
        found: list[Unmanaged] = []
        own_gateway = refreshed.get("gateway", ("", {}))[0]
        for gw in client.gateways.list(account_id):
            if gw.gatewayId != own_gateway:
                found.append(Unmanaged(GATEWAY, account_id, account_name, gw.gatewayId,
                                       f"gateway {gw.serialNumber} ({gw.name}) and any PBX link on it", name))
        if own_gateway and "pbx" not in refreshed:
            link = client.gateways.get_pbx_link(account_id, own_gateway)
            if link is not None:
                found.append(Unmanaged(PBX, account_id, account_name, account_id,
                                       f"PBX link {link.pbxType} {link.host} on the stack's gateway", name))
        if "teams" not in refreshed:
            teams = client.integrations.find_teams(account_id)
            if teams is not None:
                found.append(Unmanaged(TEAMS, account_id, account_name, teams.integrationId,
                                       f"Teams integration for tenant {teams.tenantId}", name))
        if "sso" not in refreshed:
            idp = client.identity.get(account_id)
            if idp is not None:
                found.append(Unmanaged(SSO, account_id, account_name, account_id,
                                       f"SSO identity provider {idp.type or ''}".strip(), name))
        with self._lock:
            self.items += found

    def partner_accounts(self) -> list[str]:
        """Once per set of credentials: customer accounts that no stack manages. Returns one line per set of
        credentials whose accounts could not be listed (the report's section; the others still count)."""
        errors = []
        for config, client in list(self.clients.items()):
            ids, names = self.managed_ids[config], self.managed_names[config]
            try:
                accounts = list(client.accounts.list())
            except CloudLinkError as e:
                errors.append(f"the accounts of client {config[1]} at {config[0]} could not be listed, so "
                              f"unmanaged accounts there are unknown: {' '.join(str(e).split())}")
                continue
            for account in accounts:
                if account.accountId not in ids and account.name not in names:
                    self.items.append(Unmanaged(ACCOUNT, account.accountId, account.name, account.accountId,
                                                f"customer account {account.name}", None))
        return errors

    def sorted(self) -> list[Unmanaged]:
        order = {k: i for i, k in enumerate((ACCOUNT, GATEWAY, PBX, TEAMS, SSO))}
        return sorted(self.items, key=lambda u: (u.account_name, order[u.kind], u.id))
