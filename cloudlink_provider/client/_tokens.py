"""OAuth2 tokens for the client: obtained with client_credentials, reused, refreshed before expiry.

Thread-safe: the dynamic-provider process runs several operations at once and
they share one token.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import httpx

from .config import ClientConfig
from .errors import Unauthorized, error_for

REFRESH_MARGIN_S = 60  # renew this long before the access token expires


class TokenManager:
    def __init__(self, config: ClientConfig, send: Callable[..., httpx.Response]):
        self._config, self._send = config, send
        self._lock = threading.Lock()
        self._access: str | None = None
        self._refresh: str | None = None
        self._expires_at = 0.0
        self.issued = 0  # how many tokens this client obtained (benchmarks report it)

    def bearer(self) -> str:
        with self._lock:
            if self._access is None or time.monotonic() >= self._expires_at - REFRESH_MARGIN_S:
                self._renew()
            return self._access  # type: ignore[return-value]

    def invalidate(self, token: str) -> None:
        """The server rejected this token (revoked, clock skew): the next call gets a new one."""
        with self._lock:
            if self._access == token:
                self._access = None

    def _renew(self) -> None:
        if self._refresh:
            try:
                self._store(self._grant({"grant_type": "refresh_token", "refresh_token": self._refresh}))
                return
            except Unauthorized:
                self._refresh = None  # expired or used: fall back to the client's own credentials
        self._store(self._grant({"grant_type": "client_credentials", "client_id": self._config.client_id,
                                 "client_secret": self._config.client_secret}))

    def _grant(self, form: dict[str, str]) -> dict:
        url = self._config.base_url("authentication") + "/token"
        response = self._send("POST", url, data=form)
        if response.status_code not in (200, 201):
            raise error_for(response)
        return response.json()

    def _store(self, body: dict) -> None:
        self._access = body["access_token"]
        self._refresh = body.get("refresh_token")
        self._expires_at = time.monotonic() + float(body.get("expires_in", 3600))
        self.issued += 1
