"""The Authentication API's state and rules: API clients, tokens, claims, assume-role.

Grants follow Mitel's spec: `client_credentials`, `password` (optional
`account_id`; 409 MultipleMatching when a username exists in several accounts)
and `refresh_token`; success is 201. Tokens are opaque random strings stored
with their claims; a token of a deactivated account stops working.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Any

from .common import Caller, Context, new_id, now_iso
from .errors import ApiError, BadRequest, Forbidden, NotFound, Unauthorized


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AuthStore:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.db = ctx.db

    # --- API clients (client_credentials) -------------------------------------------------
    def create_client(self, account_id: str, role: str, client_id: str | None = None,
                      client_secret: str | None = None) -> dict[str, str]:
        client_id = client_id or f"cl-{secrets.token_hex(8)}"
        client_secret = client_secret or secrets.token_urlsafe(24)
        self.db.put("client", client_id, {
            "clientId": client_id, "accountId": account_id, "role": role,
            "principalId": f"client:{client_id}", "_secret": _hash(client_secret), "createdOn": now_iso(),
        }, account_id)
        return {"clientId": client_id, "clientSecret": client_secret}

    def set_password(self, user: dict[str, Any], password: str) -> None:
        user["_password"] = _hash(password)

    # --- /token --------------------------------------------------------------------------
    def create_token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        grant = form.get("grant_type")
        if grant == "client_credentials":
            client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
            if not client_id or not client_secret:
                raise BadRequest("client_id and client_secret are required", name="InvalidRequest")
            client = self.db.get("client", client_id)
            if client is None or client["_secret"] != _hash(client_secret):
                raise Unauthorized("invalid client credentials", name="InvalidClient")
            self._require_active(client["accountId"])
            return self._issue(client["principalId"], client["accountId"], client["role"])
        if grant == "password":
            return self._password_grant(form)
        if grant == "refresh_token":
            return self._refresh_grant(form.get("refresh_token") or "")
        raise BadRequest(f"unsupported grant_type {grant!r}", name="UnsupportedGrantType")

    def _password_grant(self, form: dict[str, str]) -> dict[str, Any]:
        username, password = form.get("username"), form.get("password")
        if not username or not password:
            raise BadRequest("username and password are required", name="InvalidRequest")
        wanted_account = form.get("account_id")
        users = [u for u in self.db.list("user")
                 if username.lower() in (str(u.get("email", "")).lower(), str(u.get("loginId", "")).lower())
                 and (not wanted_account or u["accountId"] == wanted_account)]
        users = [u for u in users if u.get("_password") == _hash(password)]
        if not users:
            raise Unauthorized("invalid username or password", name="InvalidCredentials")
        if len(users) > 1:
            raise ApiError("the username exists in several accounts; pass account_id",
                           status=409, name="MultipleMatching", labels=sorted(u["accountId"] for u in users))
        user = users[0]
        if user.get("active") is False:
            raise Forbidden("the user is inactive", name="UserInactive")
        self._require_active(user["accountId"])
        return self._issue(user["userId"], user["accountId"], user.get("role", "USER"))

    def _refresh_grant(self, token: str) -> dict[str, Any]:
        doc = self.db.get("refresh", token)
        if doc is None or doc["exp"] < time.time():
            raise Unauthorized("invalid or expired refresh token", name="InvalidGrant")
        self.db.delete("refresh", token)  # refresh tokens are single-use
        self._require_active(doc["accountId"])
        return self._issue(doc["principalId"], doc["accountId"], doc["role"])

    def _issue(self, principal_id: str, account_id: str, role: str) -> dict[str, Any]:
        s = self.ctx.settings
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = int(time.time())
        claims = {"principalId": principal_id, "accountId": account_id, "role": role}
        self.db.put("token", access, {**claims, "exp": now + s.access_ttl_s}, account_id)
        self.db.put("refresh", refresh, {**claims, "exp": now + s.refresh_ttl_s}, account_id)
        return {"token_type": "Bearer", "expires_in": s.access_ttl_s, "access_token": access,
                "refresh_token": refresh, "scope": "*"}

    def _require_active(self, account_id: str) -> dict[str, Any]:
        account = self.db.get("account", account_id)
        if account is None:
            raise Unauthorized("the account of these credentials no longer exists", name="InvalidClient")
        if not account.get("active", True):
            raise Forbidden("the account is inactive", name="AccountInactive")
        return account

    # --- callers ---------------------------------------------------------------------------
    def caller(self, authorization: str | None) -> Caller:
        if not authorization or not authorization.lower().startswith("bearer "):
            raise Unauthorized("a bearer token is required", name="Unauthorized")
        doc = self.db.get("token", authorization[7:].strip())
        if doc is None:
            raise Unauthorized("the token is not valid", name="InvalidToken")
        if doc["exp"] < time.time():
            raise Unauthorized("the token has expired", name="TokenExpired")
        account = self._require_active(doc["accountId"])
        return Caller(doc["principalId"], doc["accountId"], doc["role"], doc["exp"], account.get("partnerId"))

    def claims(self, caller: Caller) -> dict[str, Any]:
        return {"principalId": caller.principal_id, "accountId": caller.account_id,
                "role": caller.role, "exp": caller.exp}

    def assume_role(self, caller: Caller, body: dict[str, Any]) -> dict[str, Any]:
        from ..spec.rules import ROLES_BY_RANK
        account_id, role = body.get("accountId"), body.get("role", "ACCOUNT_ADMIN")
        if role not in ROLES_BY_RANK:
            raise BadRequest(f"unknown role {role!r}", name="ValidationError")
        if ROLES_BY_RANK.index(role) > ROLES_BY_RANK.index("ACCOUNT_ADMIN") or not caller.at_least(role):
            raise BadRequest(f"cannot assume {role}: roles can only be assumed downward", name="AssumeRoleHigh")
        caller.require("PARTNER_ADMIN")
        target = self.db.get("account", account_id or "")
        if target is None or (caller.role != "GLOBAL_ADMIN" and target.get("partnerId") != caller.account_id):
            raise NotFound(f"account {account_id} was not found")
        self._require_active(target["accountId"])
        return self._issue(caller.principal_id, target["accountId"], role)

    def seed_partner(self, name: str, client_id: str, client_secret: str) -> dict[str, Any]:
        """A partner account with PARTNER_ADMIN API credentials (what Mitel hands a reseller)."""
        account_id = new_id()
        ts = now_iso()
        account = {"accountId": account_id, "accountNumber": str(self.db.next_value("accountNumber")),
                   "partnerId": None, "isPartner": True, "name": name, "active": True,
                   "createdOn": ts, "createdBy": "system", "modifiedOn": ts, "modifiedBy": "system",
                   "_links": {"self": {"href": f"/admin/2017-09-01/accounts/{account_id}"}}, "_version": 1}
        self.db.put("account", account_id, account, account_id)
        self.create_client(account_id, "PARTNER_ADMIN", client_id, client_secret)
        return account
