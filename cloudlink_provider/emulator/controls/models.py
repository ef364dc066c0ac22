"""The `/_emulator/` controls' wire shapes, for the OpenAPI document only."""

from __future__ import annotations

from typing import Any

from ..openapi import Body, Reply


class FaultCreate(Body):
    probability: float | None = None
    status: int | None = None
    delay_s: float | None = None
    drop: bool | None = None
    method: str | None = None
    path_contains: str | None = None
    after: bool | None = None
    remaining: int | None = None
    seed: int | None = None


class Fault(Reply):
    id: int
    seed: int
    probability: float


class PartnerSeed(Body):
    name: str | None = None
    clientId: str
    clientSecret: str


class ClientSeed(Body):
    accountId: str
    role: str | None = None
    clientId: str | None = None
    clientSecret: str | None = None
    active: bool | None = None


class UserSeed(Body):
    model_config = {"extra": "allow"}  # and any user field
    accountId: str
    email: str
    password: str | None = None
    role: str | None = None


class Activation(Body):
    password: str


class Settings(Body):
    access_ttl_s: int | None = None
    refresh_ttl_s: int | None = None
    rate_limit_per_s: float | None = None
    rate_burst: int | None = None
    base_url: str | None = None
    pbx_connect_s: float | None = None


class Journal(Reply):
    count: int
    writes: int
    items: list[dict[str, Any]]
    byService: dict[str, int]


class Listing(Reply):
    count: int
    items: list[dict[str, Any]]
