"""The one choke point every API call goes through: build, authenticate, send, retry, map errors.

Retries (`_retry`, shared with token grants) only where safe: 429 always (the
server did nothing) honouring `Retry-After`; 500/502/503/504 and transport
failures only on idempotent calls (GET, HEAD, PUT, DELETE, or a POST the caller
marks `idempotent=True` because the server recognises the repeat). A create's
POST is never blindly re-sent: creates go through `create_or_adopt`, which
looks the object up by its natural key first, and sends the create again
(bounded) only when the look-up shows the server made nothing. A token grant that failed
after its own retries ends the call (retrying it again here would multiply
the attempts); a 401 gets one more try with a fresh token.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable, Iterator, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .config import ClientConfig
from .errors import (ApiError, CloudLinkError, Conflict, NotFound, ServerError, TransportError, Unauthorized,
                     UnexpectedResponse, error_for)
from ._paths import where
from ._retry import TRANSIENT_STATUSES, retrying
from ._tokens import TokenManager

log = logging.getLogger("cloudlink.client")
T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)
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
        url = self._url(service, path)
        safe = method in IDEMPOTENT if idempotent is None else idempotent

        def attempt() -> httpx.Response:
            try:
                token = self.tokens.bearer()
            except CloudLinkError as e:
                raise _GrantFailed(e) from e
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
            try:
                return retrying(self.config, safe)(attempt)
            except Unauthorized:
                # A token revoked server-side: one more try with a fresh one.
                return attempt()
        except _GrantFailed as e:
            raise e.error from e.error.__cause__

    def json(self, service: str, method: str, path: str, *, model: type[M] | None = None, **kwargs: Any) -> Any:
        """Send one API call and return its JSON body (None when empty), or that body read as `model`.

        An answer that is not JSON, or not `model`'s shape, raises `UnexpectedResponse`.
        """
        response = self.request(service, method, path, **kwargs)
        where = f"{method} {response.request.url}"
        try:
            data = response.json() if response.content else None
        except ValueError as e:
            raise UnexpectedResponse(f"{where}: the {response.status_code} answer is not JSON "
                                     f"({response.headers.get('content-type', 'no content type')})",
                                     method, str(response.request.url)) from e
        return data if model is None else self.parse(model, data, where)

    def get_or_none(self, service: str, path: str, model: type[M]) -> M | None:
        """GET `path` read as `model`; None when it is not there (404)."""
        try:
            return self.json(service, "GET", path, model=model)
        except NotFound:
            return None

    def delete(self, service: str, path: str) -> bool:
        """DELETE `path`; False when it was already gone (404): deletes are idempotent."""
        try:
            self.request(service, "DELETE", path)
            return True
        except NotFound:
            return False

    @staticmethod
    def parse(model: type[M], data: Any, where: str = "") -> M:
        """`data` read as `model`; `UnexpectedResponse` (naming `where` and the bad fields, not their values)
        when it does not fit."""
        try:
            return model.model_validate(data)
        except ValidationError as e:
            problems = "; ".join(f"{'.'.join(map(str, err['loc'])) or 'body'}: {err['msg']}"
                                 for err in e.errors(include_url=False, include_input=False)[:5])
            method, _, url = where.partition(" ")
            raise UnexpectedResponse(f"{where or 'answer'}: not a valid {model.__name__} ({problems})",
                                     method, url) from e

    def paged(self, service: str, path: str, params: dict[str, Any] | None = None, *,
              model: type[M] | None = None, filter_: str | None = None) -> Iterator[Any]:
        """Every item of a HAL list (read as `model` if given), following `_links.next` until it runs out;
        `filter_` is the list's `$filter`."""
        if filter_:
            params = {**(params or {}), "$filter": filter_}
        url, page_params = self._url(service, path), params
        while True:
            body = self.json(service, "GET", url, params=page_params)
            items, nxt = _hal_page(body, url)
            for item in items:
                yield item if model is None else self.parse(model, item, f"GET {url}")
            if not nxt:
                return
            url, page_params = self._absolute(service, nxt), None

    def find(self, service: str, path: str, model: type[M], **equals: str) -> M | None:
        """The first item of the list at `path` whose fields equal `equals` (a `$filter`), or None."""
        return next(iter(self.paged(service, path, model=model, filter_=where(**equals))), None)

    def _url(self, service: str, path: str) -> str:
        return path if path.startswith("http") else self.config.base_url(service) + path

    def _absolute(self, service: str, href: str) -> str:
        if href.startswith("http"):
            return href
        base = httpx.URL(self.config.base_url(service))
        return str(base.copy_with(raw_path=href.encode()))


class _GrantFailed(Exception):
    """A token grant's final failure, carried past the call's own retry policy (which never retries it)."""

    def __init__(self, error: CloudLinkError):
        super().__init__(str(error))
        self.error = error


def _hal_page(body: Any, url: str) -> tuple[list[Any], str | None]:
    """The items of one HAL list page (answer to GET `url`) and the href of the next one (None on the last)."""
    try:
        items = (body.get("_embedded") or {}).get("items", [])
        nxt = ((body.get("_links") or {}).get("next") or {}).get("href")
    except AttributeError as e:
        raise UnexpectedResponse(f"GET {url}: the answer is not a HAL list", "GET", url) from e
    if not isinstance(items, list) or not (nxt is None or isinstance(nxt, str)):
        raise UnexpectedResponse(f"GET {url}: the answer is not a HAL list", "GET", url)
    return items, nxt


CREATE_ATTEMPTS = 3  # sends of one create at most, when each failed before the server made anything
RESEND_WAIT_S = 0.5  # before the second send (doubling): a server that answered 503 may need a moment


def unresolved(error: CloudLinkError) -> bool:
    """Whether a create that failed this way may or may not have been made, so only a look-up can tell: a
    lost answer or a timeout (transport failure) or a transient server error (500/502/503/504). A 429 is
    retried by the session itself (the server did nothing); other errors say the create was refused."""
    if isinstance(error, ServerError):
        return error.status in TRANSIENT_STATUSES
    return isinstance(error, TransportError)


def create_or_adopt(find: Callable[[], T | None], create: Callable[[], T], *, look_first: bool = True,
                    attempts: int = CREATE_ATTEMPTS) -> tuple[T, bool]:
    """Create unless the object already exists, resolving a failed create within the same call.

    Returns (object, adopted). A create that failed with a transient status, timed out or lost its
    answer (`unresolved`) is resolved by looking the object up by its natural key (`find`): there, it is
    adopted (the server acted, the answer was lost); not there, the create is sent again, at most
    `attempts` sends in all, so a create is never duplicated and a fault does not fail the run. A 409 on a
    natural key means the object exists (made meanwhile by someone else, or by an earlier attempt): it
    is adopted too; when `find` still finds nothing, the 409 is raised. `look_first=False` when the
    caller has just looked.
    """
    if look_first:
        existing = find()
        if existing is not None:
            return existing, True
    for sent in range(1, attempts + 1):
        try:
            return create(), False
        except Conflict as e:
            existing = find()
            if existing is not None:
                log.warning("create refused (%s) but the object exists: adopting it", e)
                return existing, True
            raise
        except (TransportError, ServerError) as e:
            if not unresolved(e):
                raise
            existing = find()
            if existing is not None:
                log.warning("create failed (%s) but the object exists: adopting it", e)
                return existing, True
            if sent == attempts:
                raise
            log.warning("create failed (%s) and the object is not there: sending it again", e)
            time.sleep(RESEND_WAIT_S * 2 ** (sent - 1))
    raise AssertionError("unreachable")  # pragma: no cover


__all__ = ["Session", "create_or_adopt", "CloudLinkError", "ApiError"]
