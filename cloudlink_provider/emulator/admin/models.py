"""The Admin service's wire shapes, for the OpenAPI document only (the store owns every rule)."""

from __future__ import annotations

from typing import Any, Literal

from ...wire import CLOUDLINK_APPLICATIONS, USER_ROLES
from ..openapi import Audited, Body, Reply, page_of


class AccountCreate(Body):
    name: str
    domain: str | None = None
    languageCode: str | None = None
    active: bool | None = None
    userLimit: int | None = None
    location: Any = None
    contacts: Any = None
    description: str | None = None


class AccountUpdate(AccountCreate):
    """A partial body: any writable field (echoed server-set fields are accepted unchanged)."""
    name: str | None = None
    accountId: str | None = None
    accountNumber: str | None = None
    partnerId: str | None = None


class Account(Audited):
    accountId: str
    accountNumber: str
    partnerId: str | None = None
    name: str
    active: bool
    isPartner: bool | None = None


class UserCreate(Body):
    email: str
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    role: Literal[USER_ROLES] | None = None  # type: ignore[valid-type]
    extension: str | None = None
    mobile: str | None = None
    phone: str | None = None
    loginId: str | None = None
    languageCode: str | None = None
    active: bool | None = None
    description: str | None = None
    applications: list[Literal[CLOUDLINK_APPLICATIONS]] | None = None  # type: ignore[valid-type]


class UserUpdate(UserCreate):
    email: str | None = None


class User(Audited):
    userId: str
    accountId: str
    email: str
    role: str
    active: bool
    source: str


class WelcomeEmail(Reply):
    messageId: str
    template: str
    to: str
    accountId: str
    userId: str
    sentOn: str


AccountList = page_of(Account)
UserList = page_of(User)
