"""The SCIM service's wire shapes, for the OpenAPI document only (the store owns every rule).

The SCIM 2.0 endpoint's resources are described by the endpoint itself (`/Schemas`,
`/ResourceTypes`, RFC 7644 §4); here they are objects carrying their `schemas`.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..openapi import Audited, Body, Reply


class AzureSync(Audited):
    accountId: str
    enabled: bool
    scimBaseUrl: str
    tokenCreatedOn: str
    token: str | None = Field(None, description="only when minted (enable, rotate)")


class ScimMessage(Reply):
    """Any SCIM 2.0 resource or message: what it is says its `schemas`."""
    schemas: list[str]


class ScimResource(ScimMessage):
    id: str


class ScimUser(ScimResource):
    userName: str | None = None  # None only when `attributes` leaves it out


class ScimList(ScimMessage):
    totalResults: int
    startIndex: int | None = None
    itemsPerPage: int | None = None
    Resources: list[dict[str, Any]] | None = None


class ScimError(Reply):
    schemas: list[str]
    status: str
    scimType: str | None = None
    detail: str | None = None


class ScimBody(Body):
    """A SCIM User, PatchOp or SearchRequest body, checked by the store against its schema."""
    model_config = {"extra": "allow"}
    schemas: list[str]
