"""Authentication API state and rules: API clients, tokens, claims, assume-role, and SSO identity providers.

Tokens follow Mitel's published spec (`platform-api-admin-token`, 2017-09-01):
grants `client_credentials` (form fields or HTTP Basic), `password` (username
matched against userId, email, mobile or loginId; optional `account_id` =
accountId or accountNumber; 409 `MultipleMatching` when several accounts match)
and `refresh_token` (also the deprecated `token` field); success is 201 with
`{token_type, expires_in, access_token, refresh_token, scope}`. Error names are
the spec's. Tokens are opaque random strings stored with their claims; a token
stops working when its account (or user, or API client) is deactivated.

SSO identity providers (`/identityProviders`) follow Mitel's spec shapes: at
most one provider per account and its `identityProviderId` is the accountId;
the body is `{type, active, saml: {issuerId, serviceProviderIssuerId,
serviceProviderReplyUrl, loginUrl, logoutUrl, certificates}}` where requests
carry `certificates` as PEM text and responses show them as a list of Base64
DER strings; `_links.self` is a plain string as in Mitel's `resource` schema.
Needs ACCOUNT_ADMIN or higher on a visible, active customer account (not on
partner accounts). Error names are the spec's (`MissingParamInRequest`,
`InvalidLoginUrl`, `InvalidCertificates`, `IdentityProviderNotFound`,
`AccountNotFound`).

Must not know routes: handlers pass in the parsed form, body and headers.
"""

from __future__ import annotations

import hmac
import secrets
import time
from typing import Any

from ...wire import ROLES_BY_RANK, SAML_FIELDS, SAML_REQUIRED_FIELDS, SAML_URL_FIELDS
from .saml import https_url_problem, pem_certificates
from ..admin.store import AccountStore
from ..common import Caller, Context, check_if_match, href, new_id, now_iso, public, stamp_modified, stamp_new
from ..errors import (ApiError, BadRequest, ConditionalFailed, Forbidden, InsufficientPermissions, NotFound,
                      Unauthorized, ValidationFailed)
from ..fields import secret_hash

CLIENT, TOKEN, REFRESH = "client", "token", "refresh"


def _same(secret: str, hashed: str | None) -> bool:
    return hashed is not None and hmac.compare_digest(secret_hash(secret), hashed)


def _inactive_account(account_id: str) -> Forbidden:
    return Forbidden(f"account {account_id} is not active", name="InactiveAccount")


class AuthStore:
    def __init__(self, ctx: Context):
        self.ctx = ctx
        self.db = ctx.db

    # --- API clients (client_credentials) -------------------------------------------------
    def create_client(self, account_id: str, role: str, client_id: str | None = None,
                      client_secret: str | None = None, active: bool = True) -> dict[str, Any]:
        if role not in ROLES_BY_RANK:
            raise BadRequest(f"unknown role {role!r}", name="InvalidRole")
        client_id = client_id or f"cl-{secrets.token_hex(8)}"
        client_secret = client_secret or secrets.token_urlsafe(24)
        self.db.put(CLIENT, client_id, {
            "clientId": client_id, "accountId": account_id, "role": role, "active": active,
            "principalId": f"client:{client_id}", "_secret": secret_hash(client_secret), "createdOn": now_iso(),
        }, account_id)
        return {"clientId": client_id, "clientSecret": client_secret, "accountId": account_id, "role": role}

    def set_password(self, user: dict[str, Any], password: str) -> None:
        user["_password"] = secret_hash(password)

    # --- POST /token ------------------------------------------------------------------------
    def create_token(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        if not form and basic is None:
            raise BadRequest("the request has no body", name="MissingBodyInRequest")
        grant = form.get("grant_type")
        if not grant:
            raise BadRequest("grant_type is required", name="MissingParameters")
        if grant == "client_credentials":
            return self._client_grant(form, basic)
        if grant == "password":
            return self._password_grant(form)
        if grant == "refresh_token":
            return self._refresh_grant(form.get("refresh_token") or form.get("token") or "")
        raise BadRequest(f"unsupported grant_type {grant!r}", name="InvalidGrantType")

    def _client_grant(self, form: dict[str, str], basic: tuple[str, str] | None) -> dict[str, Any]:
        client_id, client_secret = basic or (form.get("client_id"), form.get("client_secret"))
        if not client_id or not client_secret:
            raise BadRequest("client_id and client_secret are required", name="MissingParameters")
        client = self.db.get(CLIENT, client_id)
        if client is None:
            raise Unauthorized("invalid client credentials", name="InvalidLoginCredentials")
        if not _same(client_secret, client.get("_secret")):
            raise Unauthorized("invalid client credentials", name="ClientSecretMismatch")
        if not client.get("active", True):
            raise Unauthorized(f"client {client_id} is not active", name="ClientNotActive")
        self._require_active(client["accountId"])
        return self._issue(client["principalId"], client["accountId"], client["role"])

    def _password_grant(self, form: dict[str, str]) -> dict[str, Any]:
        username, password = form.get("username"), form.get("password")
        if not username or not password:
            raise BadRequest("username and password are required", name="MissingParameters")
        wanted = form.get("account_id")
        name = username.strip().lower()
        users = [u for u in self.db.list("user")
                 if name in {str(u.get(k) or "").strip().lower() for k in ("userId", "email", "mobile", "loginId")}
                 and self._in_account(u["accountId"], wanted) and _same(password, u.get("_password"))]
        if not users:
            raise Unauthorized("invalid username or password", name="InvalidLoginCredentials")
        if len(users) > 1:
            raise ApiError("the username is present in more than one account; pass account_id",
                           status=409, name="MultipleMatching", labels=sorted(u["accountId"] for u in users))
        user = users[0]
        self._require_active(user["accountId"])
        if user.get("active") is False:
            raise Forbidden("the user is not active", name="UserNotActive")
        user["lastLoginOn"] = now_iso()  # ours: what says a user has signed in
        self.db.put("user", user["userId"], user, user["accountId"])
        return self._issue(user["userId"], user["accountId"], user.get("role", "USER"))

    def _in_account(self, account_id: str, wanted: str | None) -> bool:
        """`account_id` may be the accountId or the accountNumber [doc]."""
        if not wanted:
            return True
        if account_id == wanted:
            return True
        account = self.db.get("account", account_id) or {}
        return str(account.get("accountNumber")) == wanted

    def _refresh_grant(self, token: str) -> dict[str, Any]:
        with self.db.transaction():
            doc = self.db.get(REFRESH, token) if token else None
            if doc is None or doc["exp"] < time.time():
                raise Unauthorized("the refresh token is not valid or has expired", name="InvalidLoginCredentials")
            self.db.delete(REFRESH, token)  # refresh tokens are single-use
        self._require_active(doc["accountId"])
        self._require_principal(doc["principalId"], missing=Unauthorized(
            "the refresh token's principal no longer exists", name="InvalidLoginCredentials"))
        return self._issue(doc["principalId"], doc["accountId"], doc["role"])

    def _issue(self, principal_id: str, account_id: str, role: str) -> dict[str, Any]:
        s = self.ctx.settings
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = int(time.time())
        claims = {"principalId": principal_id, "accountId": account_id, "role": role}
        self.db.put(TOKEN, access, {**claims, "exp": now + int(s.access_ttl_s)}, account_id)
        self.db.put(REFRESH, refresh, {**claims, "exp": now + int(s.refresh_ttl_s)}, account_id)
        return {"token_type": "Bearer", "expires_in": int(s.access_ttl_s), "access_token": access,
                "refresh_token": refresh, "scope": "*"}

    def _require_active(self, account_id: str) -> dict[str, Any]:
        account = self.db.get("account", account_id)
        if account is None:
            raise Unauthorized("the account of these credentials no longer exists", name="InvalidLoginCredentials")
        if not account.get("active", True):
            raise _inactive_account(account_id)
        return account

    def _require_principal(self, principal_id: str, missing: ApiError) -> None:
        """The user or API client behind a token must still exist and be active."""
        if principal_id.startswith("client:"):
            client = self.db.get(CLIENT, principal_id[len("client:"):])
            if client is None:
                raise missing
            if not client.get("active", True):
                raise Unauthorized("the API client is not active", name="ClientNotActive")
            return
        user = self.db.get("user", principal_id)
        if user is None:
            raise missing
        if user.get("active") is False:
            raise Forbidden("the user is not active", name="UserNotActive")

    # --- callers ---------------------------------------------------------------------------
    def caller(self, authorization: str | None) -> Caller:
        """The verified identity behind a request's `Authorization: Bearer ...` header."""
        if not authorization or not authorization.lower().startswith("bearer ") or not authorization[7:].strip():
            raise BadRequest("a bearer token is required (Authorization: Bearer ...)", name="MissingAuthToken")
        doc = self.db.get(TOKEN, authorization[7:].strip())
        if doc is None:
            raise Unauthorized("the token is not valid", name="InvalidToken")
        if doc["exp"] < time.time():
            raise Unauthorized("the token has expired", name="TokenExpired")
        account = self.db.get("account", doc["accountId"])
        if account is None:
            raise Unauthorized("the token's account no longer exists", name="InvalidToken")
        if not account.get("active", True):
            raise _inactive_account(doc["accountId"])
        self._require_principal(doc["principalId"], missing=Unauthorized(
            "the token's principal no longer exists", name="InvalidToken"))
        return Caller(doc["principalId"], doc["accountId"], doc["role"], doc["exp"], account.get("partnerId"))

    def claims(self, caller: Caller) -> dict[str, Any]:
        """`GET /token`: Mitel's `claims` schema (`exp` is a string there)."""
        claims = {"principalId": caller.principal_id, "accountId": caller.account_id,
                  "role": caller.role, "exp": str(caller.exp)}
        if caller.partner_id:
            claims["partnerId"] = caller.partner_id
        return claims

    def assume_role(self, caller: Caller, body: Any) -> dict[str, Any]:
        """A token with the same or a lower role, in the caller's own account or (partner admins)
        in one of its customer accounts. Never upward: 400 `AssumeRoleHigh`."""
        if not isinstance(body, dict) or not body:
            raise BadRequest("the request has no body", name="MissingBodyInRequest")
        unknown = set(body) - {"role", "accountId"}
        if unknown:
            raise ValidationFailed(f"unknown field(s): {', '.join(sorted(unknown))}")
        role, account_id = body.get("role"), body.get("accountId") or caller.account_id
        if not isinstance(account_id, str):  # no account has such an id
            raise NotFound(f"account {account_id!r} was not found", name="AccountNotFound")
        if not role:
            raise BadRequest("role is required", name="MissingRoleInRequest")
        if role not in ROLES_BY_RANK:
            raise BadRequest(f"unknown role {role!r}", name="InvalidRole")
        if not caller.at_least(role):
            raise BadRequest(f"cannot assume {role}: the caller is {caller.role}", name="AssumeRoleHigh")
        if account_id != caller.account_id:
            if not caller.at_least("PARTNER_ADMIN"):
                raise InsufficientPermissions("only partner admins can assume a role in another account")
            if ROLES_BY_RANK.index(role) > ROLES_BY_RANK.index("ACCOUNT_ADMIN"):
                raise BadRequest(f"cannot assume {role} in a customer account", name="AssumeRoleHigh")
            target = self.db.get("account", account_id)
            if target is None or (caller.role != "GLOBAL_ADMIN" and target.get("partnerId") != caller.account_id):
                raise NotFound(f"account {account_id} was not found", name="AccountNotFound")
        self._require_active(account_id)
        return self._issue(caller.principal_id, account_id, role)

    def seed_partner(self, name: str, client_id: str, client_secret: str) -> dict[str, Any]:
        """A partner account with PARTNER_ADMIN API credentials (what Mitel hands a reseller)."""
        account_id = new_id()
        ts = now_iso()
        account = {"accountId": account_id, "accountNumber": str(self.db.next_value("accountNumber")),
                   "partnerId": None, "isPartner": True, "name": name, "active": True,
                   "createdOn": ts, "createdBy": "system", "modifiedOn": ts, "modifiedBy": "system",
                   "_links": {"self": {"href": href("admin", f"/accounts/{account_id}")}}, "_version": 1}
        self.db.put("account", account_id, account, account_id)
        self.create_client(account_id, "PARTNER_ADMIN", client_id, client_secret)
        return account


# --- SSO identity providers ---------------------------------------------------------------------
KIND = "identityProvider"
TOP_FIELDS = {"type", "active", "saml", "accountId"}
ECHOED = {"identityProviderId", "createdOn", "createdBy", "modifiedOn", "modifiedBy", "_links"}


def self_link(provider_id: str | None = None) -> str:
    return href("authentication", "/identityProviders" + (f"/{provider_id}" if provider_id else ""))


def _not_found(provider_id: str) -> NotFound:
    return NotFound(f"identity provider {provider_id} was not found", name="IdentityProviderNotFound")


def _saml(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The validated SAML settings: `current` merged with the body's (partial on update)."""
    saml = body.get("saml")
    if saml is None and current is None:
        raise BadRequest("saml is required", name="MissingParamInRequest")
    if saml is not None and not isinstance(saml, dict):
        raise ValidationFailed("saml must be an object")
    saml = saml or {}
    unknown = set(saml) - set(SAML_FIELDS)
    if unknown:
        raise ValidationFailed(f"unknown saml field(s): {', '.join(sorted(unknown))}")
    merged = {**(current or {}), **{k: v for k, v in saml.items() if k != "certificates"}}
    if "logoutUrl" in saml and saml["logoutUrl"] in (None, ""):
        merged.pop("logoutUrl", None)
    if "certificates" in saml:
        try:
            merged["certificates"] = pem_certificates(saml["certificates"])
        except ValueError as e:
            raise BadRequest(f"saml.certificates: {e}", name="InvalidCertificates") from None
    missing = [f for f in SAML_REQUIRED_FIELDS if merged.get(f) in (None, "", [])]
    if missing:
        raise BadRequest(f"saml.{', saml.'.join(missing)} required", name="MissingParamInRequest")
    for key in ("issuerId", "serviceProviderIssuerId"):
        if not isinstance(merged[key], str) or not merged[key].strip():
            raise BadRequest(f"saml.{key} must be a non-empty string", name="MissingParamInRequest")
    for key in SAML_URL_FIELDS:
        if key in merged and (problem := https_url_problem(merged[key])):
            raise BadRequest(f"saml.{key} {problem}", name="InvalidLoginUrl")
    return {k: merged[k] for k in SAML_FIELDS if k in merged}


def _check_top(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict) or not body:
        raise BadRequest("the request has no body", name="MissingParamInRequest")
    unknown = set(body) - TOP_FIELDS - ECHOED
    if unknown:
        raise ValidationFailed(f"unknown field(s): {', '.join(sorted(unknown))}")
    if "active" in body and not isinstance(body["active"], bool):
        raise ValidationFailed("active must be a boolean")
    if "type" in body and (not isinstance(body["type"], str) or not body["type"].strip()):
        raise ValidationFailed("type must be a non-empty string, e.g. AZURE or OKTA")
    return body


class IdentityProviderStore:
    def __init__(self, ctx: Context, accounts: AccountStore):
        self.db, self.accounts = ctx.db, accounts

    def _account(self, caller: Caller, account_id: str, missing: ApiError) -> dict[str, Any]:
        caller.require("ACCOUNT_ADMIN")
        account = self.db.get("account", account_id)
        if not self.accounts.visible(caller, account):
            raise missing
        return account  # type: ignore[return-value]

    def list_identity_providers(self, caller: Caller, account_id: str | None = None) -> dict[str, Any]:
        """The caller's account's providers (a partner may name a customer with `?accountId=`)."""
        account_id = account_id or caller.account_id
        self._account(caller, account_id, NotFound(f"account {account_id} was not found", name="AccountNotFound"))
        doc = self.db.get(KIND, account_id)
        items = [public(doc)] if doc else []
        return {"count": len(items), "_links": {"self": self_link()}, "_embedded": {"items": items}}

    def get_identity_provider(self, caller: Caller, provider_id: str) -> dict[str, Any]:
        self._account(caller, provider_id, _not_found(provider_id))
        doc = self.db.get(KIND, provider_id)
        if doc is None:
            raise _not_found(provider_id)
        return doc

    def create_identity_provider(self, caller: Caller, body: Any) -> dict[str, Any]:
        """One per account; the account is the caller's own unless the body names a customer's."""
        body = _check_top(body)
        account_id = body.get("accountId") or caller.account_id
        with self.db.transaction():
            account = self._account(caller, account_id,
                                    NotFound(f"account {account_id} was not found", name="AccountNotFound"))
            if account.get("isPartner"):
                raise Forbidden("SSO is configured on customer accounts, not on a partner's own account",
                                name="IdentityProviderNotAllowedOnPartnerAccount")
            if not account.get("active", True):
                raise Forbidden(f"account {account_id} is not active", name="InactiveAccount")
            if self.db.get(KIND, account_id) is not None:
                raise ConditionalFailed(f"account {account_id} already has an identity provider "
                                        "(an account can have only one)")
            doc = {"identityProviderId": account_id, "accountId": account_id, "type": body.get("type"),
                   "active": body.get("active", True), "saml": _saml(body, None)}
            doc = {k: v for k, v in doc.items() if v is not None}
            stamp_new(doc, caller, self_link(account_id))
            doc["_links"] = {"self": self_link(account_id)}
            return self.db.put(KIND, account_id, doc, account_id)

    def update_identity_provider(self, caller: Caller, provider_id: str, body: Any,
                                 if_match: str | None = None) -> dict[str, Any]:
        body = _check_top(body)
        with self.db.transaction():
            doc = self.get_identity_provider(caller, provider_id)
            check_if_match(doc, if_match)
            if body.get("accountId", provider_id) != provider_id:
                raise ValidationFailed("accountId is immutable", name="ImmutableField")
            doc["saml"] = _saml(body, doc["saml"])
            for key in ("type", "active"):
                if key in body:
                    doc[key] = body[key]
            stamp_modified(doc, caller)
            return self.db.put(KIND, provider_id, doc, provider_id)

    def delete_identity_provider(self, caller: Caller, provider_id: str) -> None:
        with self.db.transaction():
            self.get_identity_provider(caller, provider_id)
            self.db.delete(KIND, provider_id)
