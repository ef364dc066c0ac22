"""SSO routes (`/authentication/2017-09-01/identityProviders`): thin handlers over `store.identity`.

Deleting answers 200 with an empty body, as Mitel's spec documents for this route.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from ..wire import API_VERSION
from .common import Caller
from .deps import caller, one, store_of
from .errors import BadRequest

router = APIRouter(prefix=f"/authentication/{API_VERSION}", tags=["authentication: SSO"])


async def _body(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw.strip() else None
    except ValueError:
        raise BadRequest("the body is not valid JSON", name="MalformedJSON") from None


@router.get("/identityProviders", summary="The SSO identity providers of the caller's account (at most one)")
def list_identity_providers(request: Request, who: Caller = Depends(caller),
                            account_id: str | None = Query(None, alias="accountId")) -> dict[str, Any]:
    return store_of(request).identity.list_identity_providers(who, account_id)


@router.post("/identityProviders", status_code=201, summary="Create the SSO (SAML) identity provider of an account")
async def create_identity_provider(request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    body = await _body(request)
    return one(store_of(request).identity.create_identity_provider(who, body), 201)


@router.get("/identityProviders/{identity_provider_id}", summary="Get an account's identity provider (id = accountId)")
def get_identity_provider(identity_provider_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).identity.get_identity_provider(who, identity_provider_id))


@router.put("/identityProviders/{identity_provider_id}", summary="Update an identity provider (partial body)")
async def update_identity_provider(identity_provider_id: str, request: Request, who: Caller = Depends(caller),
                                   if_match: str | None = Header(None)) -> JSONResponse:
    body = await _body(request)
    return one(store_of(request).identity.update_identity_provider(who, identity_provider_id, body, if_match))


@router.delete("/identityProviders/{identity_provider_id}", summary="Delete an identity provider")
def delete_identity_provider(identity_provider_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).identity.delete_identity_provider(who, identity_provider_id)
    return Response(status_code=200)
