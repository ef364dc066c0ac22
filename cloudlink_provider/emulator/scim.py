"""Azure AD Sync (`/scim/2017-09-01/accounts/{accountId}/azure-sync`): state, rules and SCIM auth.

Owns one document per customer account: enabling it mints a secret token that
is shown once (only its SHA-256 is kept), rotating mints a new one and voids the
old, disabling deletes it (and voids the token). The SCIM base URL is not
stored: it is built per request from the server's base URL as
`<base>/scim/2017-09-01/{accountId}/v2`. Also owns `ScimError`, the SCIM 2.0
error shape (RFC 7644 §3.12), and `scim_caller`, which turns a SCIM bearer
token into the caller SCIM writes run as. Needs ACCOUNT_ADMIN or higher on a
visible, active customer account (not a partner's own). Must not know SCIM
resources: `scim_users` maps those onto the user store.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from scim2_models import Error

from ..wire import API_VERSION
from .accounts import AccountStore
from .common import Caller, Context, href, now_iso, stamp_modified, stamp_new
from .errors import ApiError, Conflict, Forbidden, NotFound
from .users import AZURE_SYNC
from .writes import secret_hash

SCIM_PRINCIPAL = "scim:azure-ad-sync"
SCIM_CONTENT_TYPE = "application/scim+json"


class ScimError(ApiError):
    """An error rendered the SCIM way: `{schemas: [...Error], status: "409", scimType, detail}`."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail, status=status, name="ScimError", headers={"Content-Type": SCIM_CONTENT_TYPE})
        self.scim_type = scim_type

    def body(self) -> dict:
        return Error(status=self.status, scim_type=self.scim_type, detail=self.message).model_dump()


def scim_base_url(base_url: str, account_id: str) -> str:
    return f"{base_url.rstrip('/')}/scim/{API_VERSION}/{account_id}/v2"


class AzureSyncStore:
    def __init__(self, ctx: Context, accounts: AccountStore):
        self.db, self.accounts = ctx.db, accounts

    def _customer(self, caller: Caller, account_id: str) -> dict[str, Any]:
        account = self.accounts.require_customer(caller, account_id)
        if account.get("isPartner"):
            raise Forbidden("Azure AD Sync is for customer accounts, not a partner's own account",
                            name="AzureSyncNotAllowedOnPartnerAccount")
        return account

    def _sync(self, account_id: str) -> dict[str, Any]:
        doc = self.db.get(AZURE_SYNC, account_id)
        if doc is None:
            raise NotFound(f"Azure AD Sync is not enabled on account {account_id}", name="AzureSyncNotFound")
        return doc

    @staticmethod
    def view(doc: dict[str, Any], base_url: str, token: str | None = None) -> dict[str, Any]:
        """What the API shows: never the token, except right after it was minted."""
        shown = {**doc, "scimBaseUrl": scim_base_url(base_url, doc["accountId"])}
        if token:
            shown["token"] = token
        return shown

    def enable_azure_sync(self, caller: Caller, account_id: str, base_url: str) -> dict[str, Any]:
        with self.db.transaction():
            account = self._customer(caller, account_id)
            if not account.get("active", True):
                raise Forbidden(f"account {account_id} is not active", name="InactiveAccount")
            if self.db.get(AZURE_SYNC, account_id) is not None:
                raise Conflict(f"Azure AD Sync is already enabled on account {account_id}; "
                               "rotate its token to get a new one", name="AzureSyncExists")
            token = secrets.token_urlsafe(32)
            doc = {"accountId": account_id, "enabled": True, "tokenCreatedOn": now_iso(), "_tokenHash": secret_hash(token)}
            stamp_new(doc, caller, href("scim", f"/accounts/{account_id}/azure-sync"))
            self.db.put(AZURE_SYNC, account_id, doc, account_id)
            return self.view(doc, base_url, token)

    def get_azure_sync(self, caller: Caller, account_id: str, base_url: str) -> dict[str, Any]:
        self._customer(caller, account_id)
        return self.view(self._sync(account_id), base_url)

    def rotate_azure_sync_token(self, caller: Caller, account_id: str, base_url: str) -> dict[str, Any]:
        with self.db.transaction():
            self._customer(caller, account_id)
            doc = self._sync(account_id)
            token = secrets.token_urlsafe(32)
            doc.update(tokenCreatedOn=now_iso(), _tokenHash=secret_hash(token))
            stamp_modified(doc, caller)
            self.db.put(AZURE_SYNC, account_id, doc, account_id)
            return self.view(doc, base_url, token)

    def disable_azure_sync(self, caller: Caller, account_id: str) -> None:
        with self.db.transaction():
            self._customer(caller, account_id)
            self._sync(account_id)
            self.db.delete(AZURE_SYNC, account_id)

    def scim_caller(self, account_id: str, authorization: str | None) -> Caller:
        """The caller SCIM requests run as, once their bearer token matches the account's."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ScimError(401, "a bearer token (the Azure AD Sync token) is required")
        doc = self.db.get(AZURE_SYNC, account_id)
        if doc is None or not hmac.compare_digest(doc["_tokenHash"], secret_hash(authorization[7:].strip())):
            raise ScimError(401, "the token is not valid for this SCIM endpoint")
        account = self.db.get("account", account_id) or {}
        if not account.get("active", True):
            raise ScimError(403, f"account {account_id} is not active")
        return Caller(SCIM_PRINCIPAL, account_id, "ACCOUNT_ADMIN", 0, account.get("partnerId"))
