"""Admin API accounts: state and rules.

A partner admin sees and changes only its own customer accounts (others are 404,
never leaked); an account admin only its own account. Server-set fields
(`accountId`, `accountNumber`, `partnerId`) are immutable. A partner's own
account cannot be deleted. Deleting a customer account removes everything it owns.
"""

from __future__ import annotations

from typing import Any

from .common import Caller, Context, check_if_match, href, new_id, stamp_modified, stamp_new
from .errors import ApiError, NotFound, ValidationFailed

MUTABLE = {"name", "domain", "languageCode", "active", "userLimit", "location", "contacts", "description"}
IMMUTABLE = {"accountId", "accountNumber", "partnerId"}


def _validate(body: dict[str, Any], creating: bool) -> None:
    unknown = set(body) - MUTABLE - IMMUTABLE - {"_links", "createdOn", "createdBy", "modifiedOn", "modifiedBy"}
    if unknown:
        raise ValidationFailed(f"unknown account field(s): {', '.join(sorted(unknown))}")
    if creating and not str(body.get("name") or "").strip():
        raise ValidationFailed("name is required")
    if "name" in body and not str(body["name"] or "").strip():
        raise ValidationFailed("name must not be empty")
    if "active" in body and not isinstance(body["active"], bool):
        raise ValidationFailed("active must be a boolean")
    if "userLimit" in body and body["userLimit"] is not None and (
            not isinstance(body["userLimit"], int) or body["userLimit"] < 0):
        raise ValidationFailed("userLimit must be a non-negative integer")


class AccountStore:
    def __init__(self, ctx: Context):
        self.db = ctx.db

    def visible(self, caller: Caller, account: dict[str, Any] | None) -> bool:
        if account is None:
            return False
        if caller.role == "GLOBAL_ADMIN" or account["accountId"] == caller.account_id:
            return True
        return caller.role == "PARTNER_ADMIN" and account.get("partnerId") == caller.account_id

    def get_account(self, caller: Caller, account_id: str) -> dict[str, Any]:
        account = self.db.get("account", account_id)
        if not self.visible(caller, account):
            raise NotFound(f"account {account_id} was not found")
        return account

    def require_customer(self, caller: Caller, account_id: str, min_role: str = "ACCOUNT_ADMIN") -> dict[str, Any]:
        """The account, visible to the caller with at least `min_role` (the gate every child entity uses)."""
        account = self.get_account(caller, account_id)
        caller.require(min_role)
        return account

    def list_accounts(self, caller: Caller) -> list[dict[str, Any]]:
        if caller.role == "GLOBAL_ADMIN":
            return self.db.list("account")
        if caller.role == "PARTNER_ADMIN":
            return [a for a in self.db.list("account") if a.get("partnerId") == caller.account_id]
        return [self.get_account(caller, caller.account_id)]

    def create_account(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        caller.require("PARTNER_ADMIN")
        _validate(body, creating=True)
        if IMMUTABLE & set(body):
            raise ValidationFailed(f"{', '.join(sorted(IMMUTABLE & set(body)))} are set by the server")
        with self.db.transaction():
            account_id = new_id()
            doc = {"accountId": account_id, "accountNumber": str(self.db.next_value("accountNumber")),
                   "partnerId": caller.account_id, "active": True,
                   **{k: v for k, v in body.items() if k in MUTABLE}}
            stamp_new(doc, caller, href("admin", f"/accounts/{account_id}"))
            return self.db.put("account", account_id, doc, account_id)

    def update_account(self, caller: Caller, account_id: str, body: dict[str, Any],
                       if_match: str | None = None) -> dict[str, Any]:
        with self.db.transaction():
            account = self.require_customer(caller, account_id)
            check_if_match(account, if_match)
            _validate(body, creating=False)
            for key in IMMUTABLE & set(body):
                if body[key] != account.get(key):
                    raise ValidationFailed(f"{key} is immutable", name="ImmutableField")
            if "active" in body and account["accountId"] == caller.account_id and body["active"] is False:
                raise ValidationFailed("an account cannot deactivate itself", name="CannotDeactivateOwnAccount")
            account.update({k: v for k, v in body.items() if k in MUTABLE})
            stamp_modified(account, caller)
            return self.db.put("account", account_id, account, account_id)

    def delete_account(self, caller: Caller, account_id: str) -> None:
        with self.db.transaction():
            account = self.require_customer(caller, account_id, "PARTNER_ADMIN")
            if account.get("isPartner") or account_id == caller.account_id:
                raise ApiError("a partner's own account cannot be deleted", status=403, name="CannotDeletePartnerAccount")
            self.db.delete_owned_by(account_id)
