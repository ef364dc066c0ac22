"""The Integrations service's wire shapes, for the OpenAPI document only (the store owns every rule)."""

from __future__ import annotations

from typing import Literal

from ...wire import TEAMS_MODES, TEAMS_STATUSES, TEAMS_TYPE
from ..openapi import Audited, Body, page_of


class IntegrationCreate(Body):
    type: Literal[TEAMS_TYPE]  # type: ignore[valid-type]
    tenantId: str
    clientId: str
    clientSecret: str
    mode: Literal[TEAMS_MODES]  # type: ignore[valid-type]


class IntegrationUpdate(Body):
    clientId: str | None = None
    clientSecret: str | None = None
    mode: Literal[TEAMS_MODES] | None = None  # type: ignore[valid-type]


class Consent(Body):
    granted: bool


class Integration(Audited):
    integrationId: str
    accountId: str
    type: str
    tenantId: str
    clientId: str
    mode: str
    status: Literal[TEAMS_STATUSES]  # type: ignore[valid-type]
    consentUrl: str


IntegrationList = page_of(Integration)
