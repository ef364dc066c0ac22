"""Gateway API: gateways, their PBX link and the PBX directory (`/gateway/2017-09-01`).

Thin methods over `Session`; the emulator's `GatewayStore` uses the same verbs.
Provides the natural-key finders the resource layer's `create_or_adopt` needs
(a gateway by serial within an account; the single PBX link of a gateway).
`get`-style methods return None on 404 and deletes return False when already
gone. No retries or idempotency tricks here: the session and the resource layer
own those. PBX roles live in `roles`.

PBX link lifecycle: CONNECTING after create and after a change of host, port,
username or password, then CONNECTED or FAILED; `wait_connected` polls with a
deadline and raises `PbxLinkFailed` or `PbxConnectTimeout` (both `PbxConnectError`).
"""

from __future__ import annotations

import time
from typing import Any, Iterator
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict

from ._session import Session
from .accounts import odata_quote
from .errors import CloudLinkError
from .models import Resource


class Gateway(Resource):
    gatewayId: str
    accountId: str
    serialNumber: str
    type: str
    name: str | None = None
    status: str | None = None


class PbxLink(Resource):
    """The gateway's link to its PBX; the password is write-only and never comes back."""
    gatewayId: str
    accountId: str
    pbxType: str
    host: str
    port: int
    username: str | None = None
    status: str | None = None


class PbxUser(BaseModel):
    """One entry of the connected PBX's directory."""
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)
    extension: str
    name: str | None = None
    email: str | None = None
    gatewayId: str | None = None
    pbxType: str | None = None


class PbxConnectError(CloudLinkError):
    """The PBX link did not reach CONNECTED; `link` is its last state."""

    def __init__(self, message: str, link: PbxLink):
        super().__init__(message)
        self.link = link


class PbxLinkFailed(PbxConnectError):
    """The gateway could not connect to the PBX (wrong host or credentials)."""


class PbxConnectTimeout(PbxConnectError, TimeoutError):
    """Still CONNECTING when the deadline passed."""


class GatewaysApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str, gateway_id: str | None = None) -> str:
        path = f"/accounts/{quote(account_id, safe='')}/gateways"
        return path + f"/{quote(gateway_id, safe='')}" if gateway_id else path

    # --- gateways -----------------------------------------------------------------------------
    def list(self, account_id: str, filter_: str | None = None) -> Iterator[Gateway]:
        params = {"$filter": filter_} if filter_ else None
        return self._s.paged("gateway", self._path(account_id), params, model=Gateway)

    def find_by_serial(self, account_id: str, serial_number: str) -> Gateway | None:
        """The account's gateway with this serial (the natural key), if any.

        None does not mean the serial is free: another account may hold it, which
        `create` then reports as 409 GatewayAlreadyAssociated.
        """
        matches = list(self.list(account_id, f"serialNumber eq {odata_quote(serial_number)}"))
        return matches[0] if matches else None

    def get(self, account_id: str, gateway_id: str) -> Gateway | None:
        return self._s.get_or_none("gateway", self._path(account_id, gateway_id), Gateway)

    def create(self, account_id: str, fields: dict[str, Any]) -> Gateway:
        """Associate a gateway: `{serialNumber, type, name}`."""
        return self._s.json("gateway", "POST", self._path(account_id), json=fields, model=Gateway)

    def update(self, account_id: str, gateway_id: str, fields: dict[str, Any]) -> Gateway:
        """Only `name` changes in place; serialNumber and type need a replacement."""
        return self._s.json("gateway", "PUT", self._path(account_id, gateway_id), json=fields, model=Gateway)

    def delete(self, account_id: str, gateway_id: str) -> bool:
        """Dissociate (the PBX link must be deleted first); False when it was already gone."""
        return self._s.delete("gateway", self._path(account_id, gateway_id))

    # --- PBX link -----------------------------------------------------------------------------
    def get_pbx_link(self, account_id: str, gateway_id: str) -> PbxLink | None:
        """The gateway's single PBX link, or None (also when the gateway is gone)."""
        return self._s.get_or_none("gateway", self._path(account_id, gateway_id) + "/pbx-link", PbxLink)

    def create_pbx_link(self, account_id: str, gateway_id: str, fields: dict[str, Any]) -> PbxLink:
        """Connect the gateway to its PBX: `{pbxType, host, port, username, password}`."""
        return self._s.json(
            "gateway", "POST", self._path(account_id, gateway_id) + "/pbx-link", json=fields, model=PbxLink)

    def update_pbx_link(self, account_id: str, gateway_id: str, fields: dict[str, Any]) -> PbxLink:
        """Change host/port/username/password (reconnects when any really changes); pbxType is immutable."""
        return self._s.json(
            "gateway", "PUT", self._path(account_id, gateway_id) + "/pbx-link", json=fields, model=PbxLink)

    def delete_pbx_link(self, account_id: str, gateway_id: str) -> bool:
        """Disconnect the PBX (its roles go with it); False when there was no link."""
        return self._s.delete("gateway", self._path(account_id, gateway_id) + "/pbx-link")

    def wait_connected(self, account_id: str, gateway_id: str, timeout_s: float = 60.0) -> PbxLink:
        """Poll the link until CONNECTED; raise PbxLinkFailed on FAILED, PbxConnectTimeout at the deadline."""
        deadline = time.monotonic() + timeout_s
        pause = 0.05
        while True:
            link = self._s.json("gateway", "GET", self._path(account_id, gateway_id) + "/pbx-link", model=PbxLink)
            if link.status == "CONNECTED":
                return link
            if link.status == "FAILED":
                raise PbxLinkFailed(f"gateway {gateway_id} could not connect to the PBX at {link.host}", link)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise PbxConnectTimeout(f"gateway {gateway_id}'s PBX link is still {link.status} "
                                        f"after {timeout_s:g}s", link)
            time.sleep(min(pause, remaining))
            pause = min(pause * 2, 2.0)

    # --- PBX directory ------------------------------------------------------------------------
    def list_pbx_users(self, account_id: str, filter_: str | None = None) -> Iterator[PbxUser]:
        """The connected PBX's directory (409 PbxNotConnected until a link of the account is CONNECTED)."""
        params = {"$filter": filter_} if filter_ else None
        path = f"/accounts/{quote(account_id, safe='')}/pbx/users"
        return self._s.paged("gateway", path, params, model=PbxUser)

    def find_pbx_user(self, account_id: str, extension: str) -> PbxUser | None:
        matches = list(self.list_pbx_users(account_id, f"extension eq {odata_quote(extension)}"))
        return matches[0] if matches else None
