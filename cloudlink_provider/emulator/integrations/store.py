"""Integrations API state and rules: the Microsoft Teams integration of a customer account.

Owns: tenantId/clientId must be GUIDs; one Teams integration per account; none on
partner accounts; a CONNECTED PBX link is needed to create one; BIDIRECTIONAL
only with a connected MiVoice Business (re-checked when mode changes); tenantId
is immutable; clientSecret is write-only. Knows no route or HTTP and imports
nothing from the provider side; PBX state is asked of `GatewayStore`.

Decisions (the provider relies on them):
- Status is CONSENT_PENDING on create; `grant_consent` sets ENABLED or FAILED
  (from any status, so consent can be retried). Changing clientId means a new
  Azure app, so status returns to CONSENT_PENDING with a new consentUrl;
  rotating the secret or changing mode keeps the status.
- Later changes to the PBX link do not touch an existing integration.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from ...wire import BIDIRECTIONAL_TEAMS_PBX, TEAMS_MODES, TEAMS_TYPE
from ..admin.store import AccountStore
from ..common import Caller, Context, check_if_match, href, new_id, stamp_modified, stamp_new
from ..errors import (BidirectionalRequiresMiVoiceBusiness, IntegrationExists, IntegrationNotAllowedOnPartnerAccount,
                     NotFound, ValidationFailed)
from ..gateway.store import GatewayStore
from ..fields import check_fields, one_of, secret_hash, text

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
WRITABLE = {"clientId", "clientSecret", "mode"}
IMMUTABLE = {"type", "tenantId"}
SERVER_SET = {"integrationId", "accountId", "status", "consentUrl"}


def _guid(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    if not isinstance(value, str) or not GUID.match(value):
        raise ValidationFailed(f"{key} must be a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)")
    return value


def consent_url(tenant_id: str, client_id: str) -> str:
    return f"https://login.microsoftonline.com/{quote(tenant_id)}/adminconsent?client_id={quote(client_id)}"


def _check_mode(mode: str, connected: list[dict[str, Any]]) -> None:
    if mode == "BIDIRECTIONAL" and not any(l["pbxType"] == BIDIRECTIONAL_TEAMS_PBX for l in connected):
        raise BidirectionalRequiresMiVoiceBusiness(
            f"two-way Teams presence needs a connected {BIDIRECTIONAL_TEAMS_PBX} PBX")


class IntegrationStore:
    def __init__(self, ctx: Context, accounts: AccountStore, gateways: GatewayStore):
        self.db, self.accounts, self.gateways = ctx.db, accounts, gateways

    def create_integration(self, caller: Caller, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction():
            account = self.accounts.require_customer(caller, account_id)
            if account.get("isPartner"):
                raise IntegrationNotAllowedOnPartnerAccount("integrations are not allowed on partner accounts")
            check_fields(body, writable=WRITABLE | IMMUTABLE, server_set=SERVER_SET)
            one_of(body, "type", {TEAMS_TYPE})
            tenant_id, client_id = _guid(body, "tenantId"), _guid(body, "clientId")
            secret = text(body, "clientSecret")
            mode = one_of(body, "mode", set(TEAMS_MODES), default="UNIDIRECTIONAL")
            existing = [i for i in self.db.list("integration", account_id) if i["type"] == TEAMS_TYPE]
            if existing:
                raise IntegrationExists(f"account {account_id} already has a Teams integration",
                                        labels=[existing[0]["integrationId"]])
            _check_mode(mode, self.gateways.require_connected(account_id))
            integration_id = new_id()
            doc = {"integrationId": integration_id, "accountId": account_id, "type": TEAMS_TYPE,
                   "tenantId": tenant_id, "clientId": client_id, "mode": mode, "status": "CONSENT_PENDING",
                   "consentUrl": consent_url(tenant_id, client_id), "_clientSecret": secret_hash(secret)}
            stamp_new(doc, caller, href("integrations", f"/accounts/{account_id}/integrations/{integration_id}"))
            return self.db.put("integration", integration_id, doc, account_id)

    def list_integrations(self, caller: Caller, account_id: str) -> list[dict[str, Any]]:
        self.accounts.require_customer(caller, account_id)
        return self.db.list("integration", account_id)

    def get_integration(self, caller: Caller, account_id: str, integration_id: str) -> dict[str, Any]:
        self.accounts.require_customer(caller, account_id)
        doc = self.db.get("integration", integration_id)
        if doc is None or doc["accountId"] != account_id:
            raise NotFound(f"integration {integration_id} was not found")
        return doc

    def update_integration(self, caller: Caller, account_id: str, integration_id: str, body: dict[str, Any],
                           if_match: str | None = None) -> dict[str, Any]:
        with self.db.transaction():
            doc = self.get_integration(caller, account_id, integration_id)
            check_if_match(doc, if_match)
            check_fields(body, writable=WRITABLE, immutable=IMMUTABLE, server_set=SERVER_SET, current=doc)
            changed = False
            if "clientId" in body and body["clientId"] != doc["clientId"]:
                doc["clientId"] = _guid(body, "clientId")
                # A different Azure app has not consented to anything yet.
                doc.update(status="CONSENT_PENDING", consentUrl=consent_url(doc["tenantId"], doc["clientId"]))
                changed = True
            if "clientSecret" in body and secret_hash(text(body, "clientSecret")) != doc["_clientSecret"]:
                doc["_clientSecret"] = secret_hash(body["clientSecret"])
                changed = True
            if "mode" in body and body["mode"] != doc["mode"]:
                doc["mode"] = one_of(body, "mode", set(TEAMS_MODES))
                _check_mode(doc["mode"], self.gateways.connected_links(account_id))
                changed = True
            if changed:
                stamp_modified(doc, caller)
                self.db.put("integration", integration_id, doc, account_id)
            return doc

    def grant_consent(self, caller: Caller, account_id: str, integration_id: str,
                      body: dict[str, Any]) -> dict[str, Any]:
        """What the Azure AD admin's answer on the consent page does: ENABLED or FAILED."""
        with self.db.transaction():
            doc = self.get_integration(caller, account_id, integration_id)
            if not isinstance(body, dict) or not isinstance(body.get("granted"), bool):
                raise ValidationFailed("granted is required and must be a boolean")
            status = "ENABLED" if body["granted"] else "FAILED"
            if status != doc["status"]:
                doc["status"] = status
                stamp_modified(doc, caller)
                self.db.put("integration", integration_id, doc, account_id)
            return doc

    def delete_integration(self, caller: Caller, account_id: str, integration_id: str) -> None:
        with self.db.transaction():
            self.get_integration(caller, account_id, integration_id)
            self.db.delete("integration", integration_id)
