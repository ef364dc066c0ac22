"""Gateway API: CloudLink roles of PBX users (`/gateway/2017-09-01/accounts/{id}/pbx/roles`).

Thin methods over `Session`; the emulator's `GatewayStore` uses the same verbs
(`list_roles`, `get_role`, `put_role`, `delete_role`). A role is keyed by the
PBX user's extension and set with an idempotent PUT, so no finder is needed.
Which role a PBX allows is `wire.role_allowed`; the server enforces it.
"""

from __future__ import annotations

from typing import Iterator

from ._paths import path
from ._session import Session
from .models import Resource


class PbxRole(Resource):
    accountId: str
    extension: str
    role: str
    gatewayId: str | None = None  # the link whose directory lists the extension
    name: str | None = None


class RolesApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str, extension: str | None = None) -> str:
        return path("/accounts/{}/pbx/roles/{}", account_id, extension)

    def list(self, account_id: str) -> Iterator[PbxRole]:
        return self._s.paged("gateway", self._path(account_id), model=PbxRole)

    def get(self, account_id: str, extension: str) -> PbxRole | None:
        return self._s.get_or_none("gateway", self._path(account_id, extension), PbxRole)

    def put(self, account_id: str, extension: str, role: str) -> PbxRole:
        """Give the PBX user this role (creates or replaces; safe to repeat)."""
        return self._s.json("gateway", "PUT", self._path(account_id, extension), json={"role": role}, model=PbxRole)

    def delete(self, account_id: str, extension: str) -> bool:
        """Take the role away; False when the extension held none."""
        return self._s.delete("gateway", self._path(account_id, extension))
