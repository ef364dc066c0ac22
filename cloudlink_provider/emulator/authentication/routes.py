"""Authentication API routes (`/authentication/2017-09-01`): thin handlers over `store.auth` and `store.identity`.

Token routes parse bodies by hand (form or JSON, HTTP Basic) so malformed input
gets the spec's error names (`MissingBodyInRequest`, `MalformedJSON`) instead of
a framework error. SSO routes (`/identityProviders`): deleting answers 200 with
an empty body, as Mitel's spec documents for this route.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from ...wire import API_VERSION
from ..common import Caller
from ..deps import caller, one, store_of
from ..errors import BadRequest
from ..openapi import doc
from .models import (AssumeRole, Claims, IdentityProvider, IdentityProviderCreate, IdentityProviderList,
                     IdentityProviderUpdate, Token, TokenRequest)

router = APIRouter(prefix=f"/authentication/{API_VERSION}", tags=["authentication"])


# --- tokens ---------------------------------------------------------------------------------------

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


@router.post("/token", summary="Create a token: client_credentials, password or refresh_token",
             **doc(201, Token, 400, 401, 403, 409, body=TokenRequest, form=True))
async def create_token(request: Request) -> JSONResponse:
    body = store_of(request).auth.create_token(await _form(request), _basic(request))
    return JSONResponse(body, status_code=201)


@router.get("/token", summary="The caller's token claims (who am I)", **doc(200, Claims, 400, 401, 403))
def get_token(request: Request, who: Caller = Depends(caller)) -> dict[str, Any]:
    return store_of(request).auth.claims(who)


@router.post("/assume-role/token", summary="A token with the same or a lower role, "
             "in the caller's account or one of its customer accounts",
             **doc(201, Token, 400, 401, 403, 404, body=AssumeRole))
async def assume_role(request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    body = _json(await request.body())
    return JSONResponse(store_of(request).auth.assume_role(who, body), status_code=201)


# --- SSO identity providers ---------------------------------------------------------------------

async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise BadRequest("the body is not valid JSON", name="MalformedJSON") from None


@router.get("/identityProviders", summary="The SSO identity providers of the caller's account (at most one)",
            **doc(200, IdentityProviderList, 400, 401, 403, 404))
def list_identity_providers(request: Request, who: Caller = Depends(caller),
                            account_id: str | None = Query(None, alias="accountId")) -> dict[str, Any]:
    return store_of(request).identity.list_identity_providers(who, account_id)


@router.post("/identityProviders", summary="Create the SSO (SAML) identity provider of an account",
             **doc(201, IdentityProvider, 400, 401, 403, 404, 409, body=IdentityProviderCreate))
async def create_identity_provider(request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    body = await _body(request)
    return one(store_of(request).identity.create_identity_provider(who, body), 201)


@router.get("/identityProviders/{identity_provider_id}", summary="Get an account's identity provider (id = accountId)",
            **doc(200, IdentityProvider, 400, 401, 403, 404))
def get_identity_provider(identity_provider_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).identity.get_identity_provider(who, identity_provider_id))


@router.put("/identityProviders/{identity_provider_id}", summary="Update an identity provider (partial body)",
            **doc(200, IdentityProvider, 400, 401, 403, 404, 409, body=IdentityProviderUpdate))
async def update_identity_provider(identity_provider_id: str, request: Request, who: Caller = Depends(caller),
                                   if_match: str | None = Header(None)) -> JSONResponse:
    body = await _body(request)
    return one(store_of(request).identity.update_identity_provider(who, identity_provider_id, body, if_match))


@router.delete("/identityProviders/{identity_provider_id}", summary="Delete an identity provider",
               **doc(200, None, 400, 401, 403, 404))
def delete_identity_provider(identity_provider_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).identity.delete_identity_provider(who, identity_provider_id)
    return Response(status_code=200)
