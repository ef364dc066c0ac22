"""Authentication API routes (`/authentication/2017-09-01`): thin handlers over `store.auth`."""

from __future__ import annotations

import base64
import json
from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Body, Depends, Request
from fastapi.responses import JSONResponse

from ..spec.rules import API_VERSION
from .common import Caller
from .deps import caller, store_of
from .errors import BadRequest

router = APIRouter(prefix=f"/authentication/{API_VERSION}", tags=["authentication"])


async def _form(request: Request) -> dict[str, str]:
    raw = await request.body()
    if "json" in request.headers.get("content-type", ""):
        try:
            data = json.loads(raw or b"{}")
        except ValueError:
            raise BadRequest("the body is not valid JSON", name="InvalidRequest") from None
        return {k: str(v) for k, v in data.items() if v is not None}
    return dict(parse_qsl(raw.decode()))


def _basic(request: Request) -> tuple[str, str] | None:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:]).decode().partition(":")
    except ValueError:
        raise BadRequest("malformed Basic authorization", name="InvalidRequest") from None
    return user, password


@router.post("/token", status_code=201, summary="Get a token (client_credentials, password, refresh_token)")
async def create_token(request: Request) -> JSONResponse:
    body = store_of(request).auth.create_token(await _form(request), _basic(request))
    return JSONResponse(body, status_code=201)


@router.get("/token", summary="The caller's token claims")
def get_token(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    return store_of(request).auth.claims(who)


@router.post("/assume-role/token", status_code=201, summary="Act inside one of the partner's customer accounts")
def assume_role(request: Request, body: dict[str, Any] = Body(...), who: Caller = Depends(caller)) -> JSONResponse:
    return JSONResponse(store_of(request).auth.assume_role(who, body), status_code=201)
