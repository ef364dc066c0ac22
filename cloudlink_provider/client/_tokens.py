"""OAuth2 tokens for the client: obtained with client_credentials, reused, refreshed before expiry.

One token serves every call until shortly before it expires (a minute before,
or half its lifetime when that is shorter); then the refresh_token grant renews
it, falling back to client_credentials when the refresh token is no longer
good. Repeating a client_credentials grant is harmless (at worst an unused
token), so it is retried like any idempotent call: 429 (honouring
`Retry-After`), 500/502/503/504 and transport failures, bounded, with back-off.
Repeating a refresh_token grant is not harmless: a refresh token is single-use,
and the server may have spent it on an attempt whose answer was lost. So the
refresh token is taken out before it is sent and offered exactly once (retried
only on 429, when the server did nothing); any failure of the refresh grant
(400 invalid_grant for a spent one, 401 for an expired one, a 5xx, a lost
answer) falls back to client_credentials.
Thread-safe: the dynamic-provider process runs several operations at once and
they share one token. Knows nothing of the endpoints that use the token.
"""

from __future__ import annotations

import threading
import time
from typing import Callable

import httpx

from .config import ClientConfig
from .errors import CloudLinkError, UnexpectedResponse, error_for
from ._retry import retrying

REFRESH_MARGIN_S = 60  # renew this long before the access token expires (at most half its lifetime)


class TokenManager:
    def __init__(self, config: ClientConfig, send: Callable[..., httpx.Response],
                 clock: Callable[[], float] = time.monotonic):
        self._config, self._send = config, send
        self.clock = clock  # seconds, monotonic; tests may replace it to move time forward
        self._lock = threading.Lock()
        self._access: str | None = None
        self._refresh: str | None = None
        self._renew_at = 0.0
        self.issued = 0  # how many tokens this client obtained (benchmarks report it)
        self.refreshed = 0  # how many of those came from the refresh_token grant

    def bearer(self) -> str:
        with self._lock:
            if self._access is None or self.clock() >= self._renew_at:
                self._renew()
            return self._access  # type: ignore[return-value]

    def invalidate(self, token: str) -> None:
        """The server rejected this token (revoked, clock skew): the next call gets a new one."""
        with self._lock:
            if self._access == token:
                self._access = None

    def _renew(self) -> None:
        refresh, self._refresh = self._refresh, None  # single-use: whatever happens, never send it again
        if refresh:
            try:
                self._store(self._grant({"grant_type": "refresh_token", "refresh_token": refresh}, idempotent=False))
                self.refreshed += 1
                return
            except CloudLinkError:
                pass  # spent, expired, revoked or lost: fall back to the client's own credentials
        self._store(self._grant({"grant_type": "client_credentials", "client_id": self._config.client_id,
                                 "client_secret": self._config.client_secret}, idempotent=True))

    def _grant(self, form: dict[str, str], idempotent: bool) -> dict:
        url = self._config.base_url("authentication") + "/token"

        def attempt() -> dict:
            response = self._send("POST", url, data=form)
            if response.status_code not in (200, 201):
                raise error_for(response)
            try:  # never put the answer in the message: it holds the tokens
                body = response.json()
                if isinstance(body, dict) and isinstance(body.get("access_token"), str):
                    float(body.get("expires_in", 3600))
                    return body
            except (ValueError, TypeError) as e:
                raise UnexpectedResponse(f"POST {url}: the token answer cannot be read", "POST", url) from e
            raise UnexpectedResponse(f"POST {url}: the token answer has no access_token", "POST", url)

        return retrying(self._config, idempotent)(attempt)

    def _store(self, body: dict) -> None:
        lifetime = float(body.get("expires_in", 3600))
        self._access = body["access_token"]
        self._refresh = body.get("refresh_token")
        self._renew_at = self.clock() + lifetime - min(REFRESH_MARGIN_S, lifetime / 2)
        self.issued += 1
