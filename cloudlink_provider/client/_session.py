"""The one choke point every API call goes through: build, authenticate, send, retry, map errors.

Retries (`_retry`, shared with token grants) only where safe: 429 always (the
server did nothing) honouring `Retry-After`; 500/502/503/504 and transport
failures only on idempotent calls (GET, HEAD, PUT, DELETE, or a POST the caller
marks `idempotent=True` because the server recognises the repeat). A create's
POST is never blindly re-sent: creates go through `create_or_adopt`, which
looks the object up by its natural key instead. A token grant that failed
after its own retries ends the call (retrying it again here would multiply
the attempts); a 401 gets one more try with a fresh token.
"""

from __future__ import annotations

import logging
from typing import Any, Callable, Iterator, TypeVar

import httpx
from pydantic import BaseModel, ValidationError

from .config import ClientConfig
from .errors import (ApiError, CloudLinkError, Conflict, NotFound, ServerError, TransportError, Unauthorized,
                     UnexpectedResponse, error_for)
from ._paths import where
from ._retry import retrying
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


def create_or_adopt(find: Callable[[], T | None], create: Callable[[], T]) -> tuple[T, bool]:
    """Create unless the object already exists; if the create fails, find it and adopt it if it is there.

    Returns (object, adopted). This is how a create stays idempotent when a
    response is lost after the server acted (transport failure, 5xx): the next
    attempt finds the object by its natural key instead of making a duplicate.
    A 409 on a natural key means the object exists (made meanwhile by someone
    else, or by an earlier attempt): it is adopted too. When `find` still finds
    nothing, the create's error is raised.
    """
    existing = find()
    if existing is not None:
        return existing, True
    try:
        return create(), False
    except (TransportError, ServerError, Conflict) as e:
        existing = find()
        if existing is not None:
            log.warning("create failed (%s) but the object exists: adopting it", e)
            return existing, True
        raise


__all__ = ["Session", "create_or_adopt", "CloudLinkError", "ApiError"]
