"""The one choke point every API call goes through: build, authenticate, send, retry, map errors.

Retries (`_retry`, shared with token grants) only where safe: 429 always (the
server did nothing) honouring `Retry-After`; 502/503/504 and transport failures
only on idempotent calls (GET, PUT, DELETE). A POST is never blindly re-sent:
creates go through `create_or_adopt`, which looks the object up by its natural
key instead.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, TypeVar

import httpx

from .config import ClientConfig
from .errors import ApiError, CloudLinkError, ServerError, TransportError, Unauthorized, error_for
from ._retry import retrying
from ._tokens import TokenManager

log = logging.getLogger("cloudlink.client")
T = TypeVar("T")
IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})


class Session:
    def __init__(self, config: ClientConfig, transport: httpx.BaseTransport | None = None):
        self.config = config
        self._http = httpx.Client(timeout=config.timeout_s, transport=transport,
                                  headers={"X-Mitel-App": config.app_name, "Accept": "application/json"})
        self.tokens = TokenManager(config, self._send)

    def close(self) -> None:
        self._http.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._http.request(method, url, **kwargs)
        except httpx.TransportError as e:
            raise TransportError(f"{method} {url}: {type(e).__name__}: {e}") from e

    def request(self, service: str, method: str, path: str, *, json: Any = None,
                params: dict[str, Any] | None = None, headers: dict[str, str] | None = None,
                idempotent: bool | None = None) -> httpx.Response:
        """Send one API call (retried where safe) and return the successful response."""
        url = path if path.startswith("http") else self.config.base_url(service) + path
        safe = method in IDEMPOTENT if idempotent is None else idempotent

        def attempt() -> httpx.Response:
            token = self.tokens.bearer()
            response = self._send(method, url, json=json, params=params,
                                  headers={**(headers or {}), "Authorization": f"Bearer {token}"})
            if response.status_code == 401:
                self.tokens.invalidate(token)
            if response.is_error:
                error = error_for(response)
                log.debug("CloudLink %s %s -> %s %s (correlation id %s)", method, url, error.status,
                          error.name, error.correlation_id)
                raise error
            return response

        try:
            return retrying(self.config, safe)(attempt)
        except Unauthorized:
            # A token revoked server-side: one more try with a fresh one.
            return attempt()

    def json(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        response = self.request(service, method, path, **kwargs)
        return response.json() if response.content else None

    def paged(self, service: str, path: str, params: dict[str, Any] | None = None):
        """Every item of a HAL list, following `_links.next` until it runs out."""
        body = self.json(service, "GET", path, params=params)
        while True:
            yield from (body.get("_embedded") or {}).get("items", [])
            nxt = ((body.get("_links") or {}).get("next") or {}).get("href")
            if not nxt:
                return
            body = self.json(service, "GET", self._absolute(service, nxt))

    def _absolute(self, service: str, href: str) -> str:
        if href.startswith("http"):
            return href
        base = httpx.URL(self.config.base_url(service))
        return str(base.copy_with(raw_path=href.encode()))


def create_or_adopt(find: Callable[[], T | None], create: Callable[[], T]) -> tuple[T, bool]:
    """Create unless the object already exists; if the create's answer is lost, find it and adopt it.

    Returns (object, adopted). This is how a create stays idempotent when a
    response is lost after the server acted: the next attempt finds the object by
    its natural key instead of making a duplicate.
    """
    existing = find()
    if existing is not None:
        return existing, True
    try:
        return create(), False
    except (TransportError, ServerError) as e:
        existing = find()
        if existing is not None:
            log.warning("create failed (%s) but the object exists: adopting it", e)
            return existing, True
        raise


__all__ = ["Session", "create_or_adopt", "CloudLinkError", "ApiError"]
