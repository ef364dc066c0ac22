"""`cloudlink fleet import`: bring customer accounts that already exist in CloudLink under management.

Owns turning a live account (read with the typed client) into a new stack:
`stacks/Pulumi.<name>.yaml` with the provider config (the client secret stored
as a Pulumi secret through the Automation API, in a stack created with the
passphrase provider) and a customer spec whose account block carries
`adoptAccountId`, so the next `up` adopts the account instead of creating one
and the following preview shows no changes. The spec is a plain YAML mapping
under `cloudlink-fleet:customer`, ready for gateway/pbx/roles/teams/sso blocks.
It never overwrites an existing stack file and never deploys anything.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import yaml
from pulumi import automation as auto

from ..client import Account, ClientConfig, CloudLink, CloudLinkError
from ..spec.customer import SpecError, parse_customer
from .errors import FleetError, usage
from .stacks import STACK_NAME, discover_stacks, stack_file
from .workspace import Project

IMPORTED, SKIPPED, FAILED = "imported", "skipped", "failed"
CUSTOMER_KEY = "cloudlink-fleet:customer"


@dataclass
class ImportResult:
    account_id: str
    account_name: str
    stack: str | None
    status: str
    reason: str = ""


def client_config(endpoint: str | None, client_id: str | None, client_secret: str | None) -> ClientConfig:
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
    block: dict[str, Any] = {"name": account.name}
    if account.domain:
        block["domain"] = account.domain
    if account.languageCode:
        block["languageCode"] = account.languageCode
    if not account.active:
        block["active"] = False
    block["adoptAccountId"] = account.accountId
    return block


class Importer:
    def __init__(self, project: Project, config: ClientConfig):
        self.project = project
        self.config = config

    # -- what is already managed ---------------------------------------------------------------
    def _managed(self) -> tuple[set[str], set[str]]:
        """(account ids, account names) that existing stack files already manage."""
        ids, names = set(), set()
        for stack in discover_stacks(self.project.stacks_dir):
            try:
                data = yaml.safe_load(stack_file(self.project.stacks_dir, stack).read_text()) or {}
            except (OSError, yaml.YAMLError):
                continue
            account = (((data.get("config") or {}).get(CUSTOMER_KEY) or {}).get("account") or {})
            if account.get("adoptAccountId"):
                ids.add(str(account["adoptAccountId"]))
            if account.get("name"):
                names.add(str(account["name"]))
        return ids, names

    # -- the two forms -------------------------------------------------------------------------
    def import_one(self, account_id: str, name: str | None = None) -> ImportResult:
        """One account by id; any problem is a `FleetError`."""
        if name is not None and not STACK_NAME.match(name):
            raise usage(f"--name {name!r}: a stack name is letters, digits, '-', '_' and '.' only")
        account = self._call(lambda client: client.accounts.get(account_id))
        if account is None:
            raise FleetError(f"no customer account {account_id} is visible to client {self.config.client_id} "
                             f"at {self.config.endpoint}")
        stack = name or stack_name_for(account.name)
        if stack_file(self.project.stacks_dir, stack).exists():
            raise usage(f"{stack_file(self.project.stacks_dir, stack)} already exists; choose another --name")
        result = self._write(account, stack)
        if result.status == FAILED:
            raise FleetError(f"account {account_id}: {result.reason}")
        return result

    def import_all(self) -> list[ImportResult]:
        """Every customer account the credentials can see, skipping those a stack file already manages."""
        accounts = self._call(lambda client: list(client.accounts.list()))
        ids, names = self._managed()
        taken = set(discover_stacks(self.project.stacks_dir))
        results = []
        for account in sorted(accounts, key=lambda a: (a.name, a.accountId)):
            if account.accountId in ids or account.name in names:
                results.append(ImportResult(account.accountId, account.name, None, SKIPPED,
                                            "already managed by a stack file"))
                continue
            stack = stack_name_for(account.name)
            if stack in taken:
                stack = f"{stack}-{account.accountNumber or account.accountId[:8]}"
            if stack in taken:
                results.append(ImportResult(account.accountId, account.name, stack, SKIPPED,
                                            f"a stack file named {stack} already exists"))
                continue
            taken.add(stack)
            results.append(self._write(account, stack))
        return results

    # -- the work ------------------------------------------------------------------------------
    def _call(self, fn: Any) -> Any:
        try:
            with CloudLink(self.config) as client:
                return fn(client)
        except CloudLinkError as e:
            raise FleetError(f"CloudLink at {self.config.endpoint}: {e}") from None

    def _write(self, account: Account, stack: str) -> ImportResult:
        block = account_block(account)
        try:
            parse_customer({"account": block})
        except SpecError as e:
            return ImportResult(account.accountId, account.name, stack, FAILED, str(e))
        path = stack_file(self.project.stacks_dir, stack)
        try:
            created = auto.Stack.create(stack, self.project.workspace())
            created.set_all_config({
                "cloudlink:endpoint": auto.ConfigValue(self.config.endpoint),
                "cloudlink:clientId": auto.ConfigValue(self.config.client_id),
                "cloudlink:clientSecret": auto.ConfigValue(self.config.client_secret, secret=True),
            })
        except auto.StackAlreadyExistsError:
            return ImportResult(account.accountId, account.name, stack, FAILED,
                                f"the backend already has a stack named {stack}; choose another --name")
        except auto.CommandError as e:
            return ImportResult(account.accountId, account.name, stack, FAILED,
                                str(e).strip().splitlines()[-1][:300])
        data = yaml.safe_load(path.read_text()) or {}
        config = data.get("config") or {}
        ordered = {k: config[k] for k in ("cloudlink:endpoint", "cloudlink:clientId", "cloudlink:clientSecret")
                   if k in config}
        ordered.update({k: v for k, v in config.items() if k not in ordered})
        ordered[CUSTOMER_KEY] = {"account": block}
        header = (f"# Imported from CloudLink account {account.accountId} ({account.name}) by "
                  f"`cloudlink fleet import` on {datetime.now(timezone.utc):%Y-%m-%d}.\n"
                  f"# Add gateway, pbx, roles, teams and sso blocks under {CUSTOMER_KEY} as the customer grows.\n")
        body = {k: v for k, v in data.items() if k != "config"}
        body["config"] = ordered
        path.write_text(header + yaml.safe_dump(body, sort_keys=False, default_flow_style=False, width=100, allow_unicode=True))
        return ImportResult(account.accountId, account.name, stack, IMPORTED)
