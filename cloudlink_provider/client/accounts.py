"""Admin API: customer accounts (`/admin/2017-09-01/accounts`)."""

from __future__ import annotations

from typing import Any, Iterator

from ._paths import path
from ._session import Session
from .models import Account


class AccountsApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str | None = None) -> str:
        return path("/accounts/{}", account_id)

    def list(self, filter_: str | None = None) -> Iterator[Account]:
        return self._s.paged("admin", self._path(), model=Account, filter_=filter_)

    def find_by_name(self, name: str) -> Account | None:
        """The partner's customer account with this exact name (the natural key), if any."""
        return self._s.find("admin", self._path(), Account, name=name)

    def get(self, account_id: str) -> Account | None:
        return self._s.get_or_none("admin", self._path(account_id), Account)

    def create(self, fields: dict[str, Any]) -> Account:
        return self._s.json("admin", "POST", self._path(), json=fields, model=Account)

    def update(self, account_id: str, fields: dict[str, Any]) -> Account:
        return self._s.json("admin", "PUT", self._path(account_id), json=fields, model=Account)

    def delete(self, account_id: str) -> bool:
        """Delete; False when it was already gone (deletes are idempotent)."""
        return self._s.delete("admin", self._path(account_id))
