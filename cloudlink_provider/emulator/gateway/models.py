"""The Gateway service's wire shapes, for the OpenAPI document only (the store owns every rule)."""

from __future__ import annotations

from typing import Literal

from ...wire import GATEWAY_STATUSES, GATEWAY_TYPES, PBX_LINK_STATUSES, PBX_TYPES
from ..openapi import Audited, Body, Reply, page_of


class GatewayCreate(Body):
    serialNumber: str
    type: Literal[GATEWAY_TYPES]  # type: ignore[valid-type]
    name: str


class GatewayUpdate(Body):
    name: str


class Gateway(Audited):
    gatewayId: str
    accountId: str
    serialNumber: str
    type: str
    name: str
    status: Literal[GATEWAY_STATUSES]  # type: ignore[valid-type]


class PbxLinkCreate(Body):
    pbxType: Literal[PBX_TYPES]  # type: ignore[valid-type]
    host: str
    port: int
    username: str
    password: str


class PbxLinkUpdate(Body):
    host: str | None = None
    port: int | None = None
    username: str | None = None
    password: str | None = None


class PbxLink(Audited):
    gatewayId: str
    accountId: str
    pbxType: str
    host: str
    port: int
    username: str
    status: Literal[PBX_LINK_STATUSES]  # type: ignore[valid-type]


class PbxUser(Reply):
    extension: str
    name: str | None = None
    email: str | None = None


class RolePut(Body):
    role: str


class Role(Audited):
    accountId: str
    extension: str
    role: str
    gatewayId: str | None = None
    name: str | None = None


class GatewayStatus(Body):
    status: Literal[GATEWAY_STATUSES]  # type: ignore[valid-type]


class PbxDirectory(Body):
    host: str
    users: list[PbxUser]


GatewayList = page_of(Gateway)
PbxUserList = page_of(PbxUser)
RoleList = page_of(Role)
