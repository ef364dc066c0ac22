"""Authentication API token routes (`/authentication/2017-09-01`): thin handlers over `store.auth`.

Parses bodies by hand (form or JSON, HTTP Basic) so malformed input gets the
spec's error names (`MissingBodyInRequest`, `MalformedJSON`) instead of a
framework error. SSO lives in `routes_identity`.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ..wire import API_VERSION
from .common import Caller
from .deps import caller, store_of
from .errors import BadRequest

router = APIRouter(prefix=f"/authentication/{API_VERSION}", tags=["authentication"])


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if "json" in request.headers.get("content-type", ""):
        data = _json(raw, "MissingParameters")
        if not isinstance(data, dict):
            raise BadRequest("the body must be an object", name="MissingParameters")
        return {k: str(v) for k, v in data.items() if v is not None}
    return dict(parse_qsl(raw.decode(errors="replace")))


def _json(raw: bytes, name: str = "MalformedJSON") -> Any:
    try:
        return json.loads(raw) if raw.strip() else {}
    except ValueError:
        raise BadRequest("the body is not valid JSON", name=name) from None


def _basic(request: Request) -> tuple[str, str] | None:
    """RFC 6749 §2.3.1: Basic credentials, each part form-urlencoded."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, sep, password = base64.b64decode(header[6:].strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadRequest("malformed Basic authorization", name="MissingParameters") from None
    if not sep:
        raise BadRequest("malformed Basic authorization", name="MissingParameters")
    return unquote_plus(user), unquote_plus(password)


@router.post("/token", status_code=201, summary="Create a token: client_credentials, password or refresh_token")
async def create_token(request: Request) -> JSONResponse:
    body = store_of(request).auth.create_token(await _form(request), _basic(request))
    return JSONResponse(body, status_code=201)


@router.get("/token", summary="The caller's token claims (who am I)")
def get_token(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    return store_of(request).auth.claims(who)


@router.post("/assume-role/token", status_code=201, summary="A token with the same or a lower role, "
             "in the caller's account or one of its customer accounts")
async def assume_role(request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    body = _json(await request.body())
    return JSONResponse(store_of(request).auth.assume_role(who, body), status_code=201)
