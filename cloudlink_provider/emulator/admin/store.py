"""Admin API state and rules: accounts, their users, and the outbox of emails CloudLink sends.

Accounts: a partner admin sees and changes only its own customer accounts (others
are 404, never leaked); an account admin only its own account. Server-set fields
(`accountId`, `accountNumber`, `partnerId`) are immutable. A partner's own
account cannot be deleted. Deleting a customer account removes everything it owns.

Users (`/admin/2017-09-01/accounts/{accountId}/users`): email required and unique
within the account, loginId and extension unique too (Azure AD Sync also makes
mobile and phone unique: callers pass `unique=`), roles change only between
USER and ACCOUNT_ADMIN, the account's `userLimit`, and that users synced from
Azure AD are read-only here while Azure AD Sync is on (except their role).
Creating a user sends a welcome email (unless the caller asks for none, ours),
recorded in the outbox that `/_emulator/outbox` shows. Each welcome email carries
its own activation token: following the link (`activate`) verifies the user's
email and sets the password the password grant then accepts; once activated, every
link of that user is spent. While Azure AD Sync is on, a user Azure AD synced
cannot be made a second time through the Admin API (409 UserManagedByAzureAdSync).
A user's `applications` (ours) are the CloudLink applications deployed to it: a
CloudLink-side setting, so it stays editable on synced users.

Must not know HTTP or SCIM shapes: the SCIM service maps its resources onto
`create_user`/`update_user` here.
"""

from __future__ import annotations

import re
import secrets
from typing import Any, Iterable

from ...wire import (CLOUDLINK_APPLICATIONS, EMAIL_PATTERN, EXTENSION_PATTERN, PHONE_PATTERN, USER_ROLES,
                     USER_UNIQUE_FIELDS)
from ..common import Caller, Context, check_if_match, href, new_id, now_iso, stamp_modified, stamp_new
from ..errors import ApiError, Conflict, NotFound, ValidationFailed
from ..fields import secret_hash

ACCOUNT_MUTABLE = {"name", "domain", "languageCode", "active", "userLimit", "location", "contacts", "description"}
ACCOUNT_IMMUTABLE = {"accountId", "accountNumber", "partnerId"}


def _validate_account(body: dict[str, Any], creating: bool) -> None:
    echoed = {"_links", "createdOn", "createdBy", "modifiedOn", "modifiedBy"}
    unknown = set(body) - ACCOUNT_MUTABLE - ACCOUNT_IMMUTABLE - echoed
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
        _validate_account(body, creating=True)
        if ACCOUNT_IMMUTABLE & set(body):
            raise ValidationFailed(f"{', '.join(sorted(ACCOUNT_IMMUTABLE & set(body)))} are set by the server")
        with self.db.transaction():
            account_id = new_id()
            doc = {"accountId": account_id, "accountNumber": str(self.db.next_value("accountNumber")),
                   "partnerId": caller.account_id, "active": True,
                   **{k: v for k, v in body.items() if k in ACCOUNT_MUTABLE}}
            stamp_new(doc, caller, href("admin", f"/accounts/{account_id}"))
            return self.db.put("account", account_id, doc, account_id)

    def update_account(self, caller: Caller, account_id: str, body: dict[str, Any],
                       if_match: str | None = None) -> dict[str, Any]:
        with self.db.transaction():
            account = self.require_customer(caller, account_id)
            check_if_match(account, if_match)
            _validate_account(body, creating=False)
            for key in ACCOUNT_IMMUTABLE & set(body):
                if body[key] != account.get(key):
                    raise ValidationFailed(f"{key} is immutable", name="ImmutableField")
            if "active" in body and account["accountId"] == caller.account_id and body["active"] is False:
                raise ValidationFailed("an account cannot deactivate itself", name="CannotDeactivateOwnAccount")
            account.update({k: v for k, v in body.items() if k in ACCOUNT_MUTABLE})
            stamp_modified(account, caller)
            return self.db.put("account", account_id, account, account_id)

    def delete_account(self, caller: Caller, account_id: str) -> None:
        with self.db.transaction():
            account = self.require_customer(caller, account_id, "PARTNER_ADMIN")
            if account.get("isPartner") or account_id == caller.account_id:
                raise ApiError("a partner's own account cannot be deleted", status=403, name="CannotDeletePartnerAccount")
            self.db.delete_owned_by(account_id)


# --- users ----------------------------------------------------------------------------------------
USER = "user"
EMAIL = "email"
ACTIVATION = "activation"  # a welcome email's link: token -> the user it activates
AZURE_SYNC = "azureSync"  # the Azure AD Sync document of an account (see scim/store.py)

USER_MUTABLE = {"email", "name", "firstName", "lastName", "role", "extension", "mobile", "phone", "loginId",
           "languageCode", "active", "description", "applications"}
USER_SERVER_SET = {"userId", "accountId", "source", "emailVerified", "mobileVerified", "phoneVerified",
              "lastLoginOn", "createdOn", "createdBy", "modifiedOn", "modifiedBy", "_links"}
CLOUDLINK_SIDE = {"role", "applications"}  # what stays editable here on users Azure AD synced
SYNCED = USER_MUTABLE - CLOUDLINK_SIDE  # what Azure AD owns for users it synced
MIN_PASSWORD = 8
_PATTERNS = {"email": EMAIL_PATTERN, "extension": EXTENSION_PATTERN, "mobile": PHONE_PATTERN,
             "phone": PHONE_PATTERN}
_TEXT = {"name", "firstName", "lastName", "loginId", "languageCode", "description"}


def _norm(value: Any) -> str:
    return re.sub(r"\s+", "", str(value)).lower() if value not in (None, "") else ""


def _validate_user(body: dict[str, Any], creating: bool) -> None:
    if not isinstance(body, dict):
        raise ValidationFailed("the body must be a JSON object")
    unknown = set(body) - USER_MUTABLE - USER_SERVER_SET
    if unknown:
        raise ValidationFailed(f"unknown user field(s): {', '.join(sorted(unknown))}")
    if creating and not body.get("email"):
        raise ValidationFailed("email is required")
    for key, pattern in _PATTERNS.items():
        value = body.get(key)
        if key == "email" and key in body and not value:
            raise ValidationFailed("email must not be empty")
        if value not in (None, "") and (not isinstance(value, str) or not re.match(pattern, value)):
            raise ValidationFailed(f"{key} {value!r} is not valid")
    for key in _TEXT & set(body):
        if body[key] is not None and not isinstance(body[key], str):
            raise ValidationFailed(f"{key} must be a string")
    if "active" in body and not isinstance(body["active"], bool):
        raise ValidationFailed("active must be a boolean")
    if "role" in body and body["role"] not in USER_ROLES:
        raise ValidationFailed(f"a user's role is one of {', '.join(USER_ROLES)}, not {body['role']!r}",
                               name="InvalidRole")
    apps = body.get("applications")
    if "applications" in body and (not isinstance(apps, list) or not all(isinstance(a, str) for a in apps)
                                   or not set(apps) <= set(CLOUDLINK_APPLICATIONS) or len(set(apps)) != len(apps)):
        raise ValidationFailed(f"applications must be a list of distinct values out of "
                               f"{', '.join(CLOUDLINK_APPLICATIONS)}")


class Outbox:
    """The emails CloudLink sent (welcome emails), kept so tests and demos can read them."""

    def __init__(self, ctx: Context):
        self.db = ctx.db

    def send(self, template: str, user: dict[str, Any]) -> dict[str, Any]:
        """Send an email; a welcome email carries a fresh activation link (`activationPath`)."""
        token = secrets.token_urlsafe(24)
        message = {"messageId": new_id(), "template": template, "to": user["email"],
                   "accountId": user["accountId"], "userId": user["userId"], "sentOn": now_iso(),
                   "activationPath": f"/_emulator/activate/{token}"}
        # The link outlives the outbox (clearing the test outbox does not void mail already received).
        self.db.put(ACTIVATION, token, {"userId": user["userId"], "sentOn": message["sentOn"]}, user["accountId"])
        return self.db.put(EMAIL, message["messageId"], message)

    def by_activation(self, token: str) -> dict[str, Any] | None:
        return self.db.get(ACTIVATION, token)

    def list(self) -> list[dict[str, Any]]:
        return self.db.list(EMAIL)

    def clear(self) -> None:
        with self.db.transaction():
            for message in self.db.list(EMAIL):
                self.db.delete(EMAIL, message["messageId"])


class UserStore:
    def __init__(self, ctx: Context, accounts: AccountStore):
        self.db, self.accounts = ctx.db, accounts
        self.outbox = Outbox(ctx)

    def _user(self, account_id: str, user_id: str) -> dict[str, Any]:
        user = self.db.get(USER, user_id)
        if user is None or user["accountId"] != account_id:
            raise NotFound(f"user {user_id} was not found", name="UserNotFound")
        return user

    def list_users(self, caller: Caller, account_id: str) -> list[dict[str, Any]]:
        self.accounts.require_customer(caller, account_id)
        return self.db.list(USER, account_id)

    def get_user(self, caller: Caller, account_id: str, user_id: str) -> dict[str, Any]:
        """Account admins see every user of the account; a USER sees only itself."""
        self.accounts.get_account(caller, account_id)
        if caller.principal_id != user_id:
            caller.require("ACCOUNT_ADMIN")
        return self._user(account_id, user_id)

    def create_user(self, caller: Caller, account_id: str, body: dict[str, Any], *, source: str = "API",
                    unique: Iterable[str] = USER_UNIQUE_FIELDS, internal: dict[str, Any] | None = None,
                    welcome: bool = True) -> dict[str, Any]:
        with self.db.transaction():
            account = self.accounts.require_customer(caller, account_id)
            _validate_user(body, creating=True)
            self._check_role_grant(caller, body.get("role"))
            limit = account.get("userLimit")
            if limit is not None and len(self.db.list(USER, account_id)) >= limit:
                raise ApiError(f"account {account_id} already has its limit of {limit} users",
                               status=409, name="UserLimitExceeded")
            if source == "API":
                self._check_not_synced_twice(account_id, body)
            user_id = new_id()
            doc = {"userId": user_id, "accountId": account_id, "role": "USER", "active": True,
                   **{k: v for k, v in body.items() if k in USER_MUTABLE},
                   "source": source, "emailVerified": False, "mobileVerified": False, "phoneVerified": False,
                   **(internal or {})}
            self._check_unique(doc, unique)
            stamp_new(doc, caller, href("admin", f"/accounts/{account_id}/users/{user_id}"))
            self.db.put(USER, user_id, doc, account_id)
            if welcome:
                self.outbox.send("welcome", doc)
            return doc

    def update_user(self, caller: Caller, account_id: str, user_id: str, body: dict[str, Any],
                    if_match: str | None = None, *, source: str | None = None,
                    unique: Iterable[str] = USER_UNIQUE_FIELDS,
                    internal: dict[str, Any] | None = None) -> dict[str, Any]:
        with self.db.transaction():
            self.accounts.require_customer(caller, account_id)
            user = self._user(account_id, user_id)
            _validate_user(body, creating=False)
            check_if_match(user, if_match)
            for key in sorted(USER_SERVER_SET & set(body) - {"createdOn", "createdBy", "modifiedOn", "modifiedBy",
                                                         "_links"}):
                if body[key] != user.get(key):
                    raise ValidationFailed(f"{key} is set by the server", name="ImmutableField")
            changes = {k: v for k, v in body.items() if k in USER_MUTABLE and v != user.get(k)}
            if source is None:
                self._check_not_synced(user, changes)
            if "role" in changes:
                if user.get("role") not in USER_ROLES:
                    raise ValidationFailed(f"the role {user.get('role')} cannot be changed", name="InvalidRole")
                self._check_role_grant(caller, changes["role"])
            user.update(changes)
            if source:
                user["source"] = source
            user.update(internal or {})
            self._check_unique(user, unique)
            stamp_modified(user, caller)
            return self.db.put(USER, user_id, user, account_id)

    def delete_user(self, caller: Caller, account_id: str, user_id: str, *, synced: bool = False) -> None:
        with self.db.transaction():
            self.accounts.require_customer(caller, account_id)
            user = self._user(account_id, user_id)
            if not synced:
                self._check_not_synced(user, {"deleted": True})
            self.db.delete(USER, user_id)

    def send_welcome_email(self, caller: Caller, account_id: str, user_id: str) -> dict[str, Any]:
        self.accounts.require_customer(caller, account_id)
        return self.outbox.send("welcome", self._user(account_id, user_id))

    # --- activation: what following the welcome email's link does -----------------------------
    def activation(self, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(message, user) of a live activation link; 404 ActivationNotFound, 409 AlreadyActivated."""
        message = self.outbox.by_activation(token)
        user = self.db.get(USER, message["userId"]) if message else None
        if message is None or user is None:
            raise NotFound("this activation link is not valid (unknown, or its user was deleted)",
                           name="ActivationNotFound")
        if user.get("emailVerified"):
            raise Conflict("this user has already activated the account; sign in instead",
                           name="AlreadyActivated")
        return message, user

    def activate(self, token: str, password: Any) -> dict[str, Any]:
        """Verify the user's email and set its password (as the page behind the link does)."""
        with self.db.transaction():
            _message, user = self.activation(token)
            if not isinstance(password, str) or len(password) < MIN_PASSWORD:
                raise ValidationFailed(f"password must be a string of at least {MIN_PASSWORD} characters")
            user["emailVerified"] = True
            user["_password"] = secret_hash(password)
            return self.db.put(USER, user["userId"], user, user["accountId"])

    # --- rules --------------------------------------------------------------------------------
    def _check_unique(self, doc: dict[str, Any], fields: Iterable[str]) -> None:
        """409 `DuplicateValue` naming (in `labels`) every field another user of the account already has."""
        fields = tuple(fields)
        clashes: set[str] = set()
        for other in self.db.list(USER, doc["accountId"]):
            if other["userId"] == doc["userId"]:
                continue
            clashes |= {f for f in fields if _norm(doc.get(f)) and _norm(doc.get(f)) == _norm(other.get(f))}
        if clashes:
            labels = sorted(clashes)
            raise Conflict(f"another user of the account already has this {', '.join(labels)}",
                           name="DuplicateValue", labels=labels)

    def _check_role_grant(self, caller: Caller, role: str | None) -> None:
        if role and not caller.at_least(role):
            raise ApiError(f"the caller ({caller.role}) cannot grant {role}", status=403,
                           name="InsufficientPermissions")

    def _sync_on(self, account_id: str) -> bool:
        sync = self.db.get(AZURE_SYNC, account_id)
        return bool(sync and sync.get("enabled"))

    def _check_not_synced(self, user: dict[str, Any], changes: dict[str, Any]) -> None:
        """While Azure AD Sync is on, Azure AD is the source of truth for the users it synced."""
        if user.get("source") != "SCIM" or not set(changes) - CLOUDLINK_SIDE:
            return
        if self._sync_on(user["accountId"]):
            raise Conflict("this user is managed by Azure AD Sync; change it in Azure AD (only its role "
                           "and applications can change here)", name="UserManagedByAzureAdSync")

    def _check_not_synced_twice(self, account_id: str, body: dict[str, Any]) -> None:
        """An Admin API create may not make a second copy of a user Azure AD Sync manages."""
        if not self._sync_on(account_id):
            return
        keys = {f: _norm(body.get(f)) for f in ("email", "extension") if _norm(body.get(f))}
        for other in self.db.list(USER, account_id):
            if other.get("source") == "SCIM" and any(_norm(other.get(f)) == v for f, v in keys.items()):
                raise Conflict(f"{other['email']} is managed by Azure AD Sync (same "
                               f"{' and '.join(f for f, v in keys.items() if _norm(other.get(f)) == v)}); "
                               "Azure AD onboards this user", name="UserManagedByAzureAdSync")
