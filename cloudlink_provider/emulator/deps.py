"""FastAPI glue shared by the route modules: the store, the caller, single-resource responses."""

from __future__ import annotations

from typing import Any

from fastapi import Header, Request
from fastapi.responses import JSONResponse

from .common import Caller, etag, public
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
