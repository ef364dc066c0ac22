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

from pydantic import BaseModel, ConfigDict

from ._paths import path
from ._session import Session
from .errors import PbxConnectError, PbxConnectTimeout, PbxLinkFailed  # noqa: F401 - raised here
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


class GatewaysApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str, gateway_id: str | None = None) -> str:
        return path("/accounts/{}/gateways/{}", account_id, gateway_id)

    # --- gateways -----------------------------------------------------------------------------
    def list(self, account_id: str, filter_: str | None = None) -> Iterator[Gateway]:
        return self._s.paged("gateway", self._path(account_id), model=Gateway, filter_=filter_)

    def find_by_serial(self, account_id: str, serial_number: str) -> Gateway | None:
        """The account's gateway with this serial (the natural key), if any.

        None does not mean the serial is free: another account may hold it, which
        `create` then reports as 409 GatewayAlreadyAssociated.
        """
        return self._s.find("gateway", self._path(account_id), Gateway, serialNumber=serial_number)

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
        return self._s.paged("gateway", path("/accounts/{}/pbx/users", account_id), model=PbxUser, filter_=filter_)

    def find_pbx_user(self, account_id: str, extension: str) -> PbxUser | None:
        return self._s.find("gateway", path("/accounts/{}/pbx/users", account_id), PbxUser, extension=extension)
