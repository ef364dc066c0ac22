"""Admin API: customer accounts (`/admin/2017-09-01/accounts`)."""

from __future__ import annotations

from typing import Any, Iterator
from urllib.parse import quote

from ._session import Session
from .models import Account


def odata_quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


class AccountsApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str) -> str:
        return f"/accounts/{quote(account_id, safe='')}"

    def list(self, filter_: str | None = None) -> Iterator[Account]:
        params = {"$filter": filter_} if filter_ else None
        return self._s.paged("admin", "/accounts", params, model=Account)

    def find_by_name(self, name: str) -> Account | None:
        """The partner's customer account with this exact name (the natural key), if any."""
        matches = list(self.list(f"name eq {odata_quote(name)}"))
        return matches[0] if matches else None

    def get(self, account_id: str) -> Account | None:
        return self._s.get_or_none("admin", self._path(account_id), Account)

    def create(self, fields: dict[str, Any]) -> Account:
        return self._s.json("admin", "POST", "/accounts", json=fields, model=Account)

    def update(self, account_id: str, fields: dict[str, Any]) -> Account:
        return self._s.json("admin", "PUT", self._path(account_id), json=fields, model=Account)

    def delete(self, account_id: str) -> bool:
        """Delete; False when it was already gone (deletes are idempotent)."""
        return self._s.delete("admin", self._path(account_id))
