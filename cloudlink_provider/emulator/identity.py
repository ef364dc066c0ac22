"""SSO identity providers (`/authentication/2017-09-01/identityProviders`): state and rules.

Follows Mitel's spec shapes: at most one provider per account and its
`identityProviderId` is the accountId; the body is `{type, active, saml:
{issuerId, serviceProviderIssuerId, serviceProviderReplyUrl, loginUrl,
logoutUrl, certificates}}` where requests carry `certificates` as PEM text and
responses show them as a list of Base64 DER strings; `_links.self` is a plain
string as in Mitel's `resource` schema. Needs ACCOUNT_ADMIN or higher on a
visible, active customer account (not on partner accounts). Error names are the
spec's (`MissingParamInRequest`, `InvalidLoginUrl`, `InvalidCertificates`,
`IdentityProviderNotFound`, `AccountNotFound`). Must not know routes.
"""

from __future__ import annotations

from typing import Any

from ..wire import SAML_FIELDS, SAML_REQUIRED_FIELDS, SAML_URL_FIELDS
from ..wire.saml import https_url_problem, pem_certificates
from .accounts import AccountStore
from .common import Caller, Context, check_if_match, href, public, stamp_modified, stamp_new
from .errors import ApiError, BadRequest, ConditionalFailed, Forbidden, NotFound, ValidationFailed

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
