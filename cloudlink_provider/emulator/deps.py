"""FastAPI glue shared by the route modules: the store, the caller, list paging, single-resource responses."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from fastapi import Header, Query, Request
from fastapi.responses import JSONResponse

from .common import Caller, etag, page, public
from .store import Store


def store_of(request: Request) -> Store:
    return request.app.state.store


def caller(request: Request, authorization: str | None = Header(default=None)) -> Caller:
    return store_of(request).auth.caller(authorization)


def one(doc: dict[str, Any], status: int = 200) -> JSONResponse:
    """A single resource with its ETag, as every CloudLink GET/PUT/POST answers."""
    return JSONResponse(public(doc), status_code=status, headers={"ETag": etag(doc)})


def self_href(request: Request) -> str:
    return request.url.path + (f"?{request.url.query}" if request.url.query else "")


@dataclass(frozen=True)
class Paging:
    """A list request's `$top`, `$skip` and `$filter`, and the URL it was made to."""
    href: str
    top: int | None
    skip: int | None
    filter_: str | None

    def page(self, items: Iterable[dict[str, Any]]) -> dict[str, Any]:
        """The HAL list of `items` this request asks for."""
        return page(items, self.href, self.top, self.skip, self.filter_)


def paging(request: Request, top: int | None = Query(None, alias="$top"), skip: int | None = Query(None, alias="$skip"),
           filter_: str | None = Query(None, alias="$filter")) -> Paging:
    """Every list route's query parameters, declared once: `paging: Paging = Depends(paging)`."""
    return Paging(self_href(request), top, skip, filter_)
