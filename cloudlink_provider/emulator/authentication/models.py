"""The Authentication service's wire shapes (Mitel's spec), for the OpenAPI document only.

The store owns every rule; tests/unit/emulator/test_fidelity.py holds the answers to Mitel's own document.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from ...wire import ROLES_BY_RANK
from ..openapi import Body, Reply


class TokenRequest(Body):
    """`client_credentials` (or HTTP Basic), `password` or `refresh_token` (also the deprecated `token`)."""
    grant_type: Literal["client_credentials", "password", "refresh_token"]
    client_id: str | None = None
    client_secret: str | None = None
    username: str | None = None
    password: str | None = None
    account_id: str | None = None
    refresh_token: str | None = None
    token: str | None = None


class Token(Reply):
    token_type: Literal["Bearer"]
    expires_in: int
    access_token: str
    refresh_token: str
    scope: str


class Claims(Reply):
    principalId: str
    accountId: str
    role: Literal[ROLES_BY_RANK]  # type: ignore[valid-type]
    exp: str
    partnerId: str | None = None


class AssumeRole(Body):
    role: Literal[ROLES_BY_RANK]  # type: ignore[valid-type]
    accountId: str | None = None


class SamlRequest(Body):
    issuerId: str | None = None
    serviceProviderIssuerId: str | None = None
    serviceProviderReplyUrl: str | None = None
    loginUrl: str | None = None
    logoutUrl: str | None = None
    certificates: str | list[str] | None = Field(None, description="PEM text (one or more CERTIFICATE blocks)")


class IdentityProviderCreate(Body):
    accountId: str | None = None
    type: str | None = None
    active: bool | None = None
    saml: SamlRequest


class IdentityProviderUpdate(Body):
    type: str | None = None
    active: bool | None = None
    saml: SamlRequest | None = None
    accountId: str | None = None


class Saml(Reply):
    issuerId: str
    serviceProviderIssuerId: str
    serviceProviderReplyUrl: str
    loginUrl: str
    logoutUrl: str | None = None
    certificates: list[str] = Field(description="Base64 DER")


class PlainSelf(Reply):
    self: str  # a plain string here, as in Mitel's `resource` schema


class IdentityProvider(Reply):
    identityProviderId: str
    accountId: str
    type: str | None = None
    active: bool
    saml: Saml
    createdOn: str | None = None
    createdBy: str | None = None
    modifiedOn: str | None = None
    modifiedBy: str | None = None
    links: PlainSelf | None = Field(None, alias="_links")


class IdentityProviderItems(Reply):
    items: list[IdentityProvider]


class IdentityProviderList(Reply):
    count: int
    links: PlainSelf = Field(alias="_links")
    embedded: IdentityProviderItems = Field(alias="_embedded")
