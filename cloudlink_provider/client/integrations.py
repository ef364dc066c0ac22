"""Integrations API: the Microsoft Teams integration of a customer account (`/integrations/2017-09-01`).

Thin methods over `Session`; the emulator's `IntegrationStore` uses the same
verbs. `find_teams` is the natural-key finder (one Teams integration per
account). The clientSecret is write-only: it is sent, never read back.
Status: CONSENT_PENDING after create and after a clientId change, then ENABLED
or FAILED by `grant_consent`.
"""

from __future__ import annotations

from typing import Any, Iterator

from ..wire import TEAMS_TYPE
from ._paths import path
from ._session import Session
from .models import Resource


class TeamsIntegration(Resource):
    integrationId: str
    accountId: str
    type: str = TEAMS_TYPE
    tenantId: str
    clientId: str
    mode: str
    status: str | None = None
    consentUrl: str | None = None


class IntegrationsApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str, integration_id: str | None = None) -> str:
        return path("/accounts/{}/integrations/{}", account_id, integration_id)

    def list(self, account_id: str, filter_: str | None = None) -> Iterator[TeamsIntegration]:
        return self._s.paged("integrations", self._path(account_id), model=TeamsIntegration, filter_=filter_)

    def find_teams(self, account_id: str) -> TeamsIntegration | None:
        """The account's Teams integration, if it has one."""
        return self._s.find("integrations", self._path(account_id), TeamsIntegration, type=TEAMS_TYPE)

    def get(self, account_id: str, integration_id: str) -> TeamsIntegration | None:
        return self._s.get_or_none("integrations", self._path(account_id, integration_id), TeamsIntegration)

    def create(self, account_id: str, fields: dict[str, Any]) -> TeamsIntegration:
        """`{tenantId, clientId, clientSecret, mode}`; `type` defaults to MS_TEAMS."""
        body = {"type": TEAMS_TYPE, **fields}
        return self._s.json("integrations", "POST", self._path(account_id), json=body, model=TeamsIntegration)

    def update(self, account_id: str, integration_id: str, fields: dict[str, Any]) -> TeamsIntegration:
        """Change clientId, clientSecret or mode; tenantId needs a replacement."""
        return self._s.json(
            "integrations", "PUT", self._path(account_id, integration_id), json=fields, model=TeamsIntegration)

    def delete(self, account_id: str, integration_id: str) -> bool:
        return self._s.delete("integrations", self._path(account_id, integration_id))

    def grant_consent(self, account_id: str, integration_id: str, granted: bool = True) -> TeamsIntegration:
        """Record the Azure AD admin's answer: ENABLED when granted, FAILED when refused."""
        # Setting a state, so repeating it is harmless: safe to retry like a PUT.
        return self._s.json(
            "integrations", "POST", self._path(account_id, integration_id) + "/consent", json={"granted": granted},
            idempotent=True, model=TeamsIntegration)
