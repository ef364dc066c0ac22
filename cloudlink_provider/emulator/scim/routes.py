"""SCIM service routes (`/scim/2017-09-01`): thin handlers over `store.scim` and `store.scim_users`.

Two kinds of route live here. `accounts/{accountId}/azure-sync` is CloudLink
API (CloudLink bearer token, `{name, message}` errors). `{accountId}/v2/...` is
the SCIM 2.0 endpoint Azure AD calls with the Azure AD Sync token; it answers
`application/scim+json` and SCIM errors, and parses its own query parameters
so that even bad ones get SCIM errors.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from ...wire import API_VERSION
from ..common import Caller
from ..deps import caller, one, store_of
from ..openapi import doc
from . import models
from .models import AzureSync, ScimBody, ScimList, ScimMessage, ScimResource, ScimUser
from .store import (SCIM_CONTENT_TYPE, ScimError, get_resource_type, get_schema, list_resource_types, list_schemas,
                    response_parameters, scim_base_url, service_provider_config)

router = APIRouter(prefix=f"/scim/{API_VERSION}", tags=["scim"])
# The SCIM 2.0 endpoint answers SCIM's way: its media type and error body; the sync token gives 401/403.
SCIM = {"media": SCIM_CONTENT_TYPE, "error": models.ScimError}
SCIM_ERRORS = (401, 403)


def base_url(request: Request) -> str:
    return store_of(request).ctx.settings.base_url or str(request.base_url)


@router.post("/accounts/{account_id}/azure-sync",
             summary="Enable Azure AD Sync: returns the SCIM base URL and its token (shown only now)",
             **doc(201, AzureSync, 400, 401, 403, 404, 409))
def enable_azure_sync(account_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).scim.enable_azure_sync(who, account_id, base_url(request)), 201)


@router.get("/accounts/{account_id}/azure-sync", summary="Azure AD Sync settings (never the token)",
            **doc(200, AzureSync, 400, 401, 403, 404))
def get_azure_sync(account_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).scim.get_azure_sync(who, account_id, base_url(request)))


@router.post("/accounts/{account_id}/azure-sync/token",
             summary="Rotate the Azure AD Sync token: the old one stops working, the new one is shown once",
             **doc(201, AzureSync, 400, 401, 403, 404))
def rotate_azure_sync_token(account_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).scim.rotate_azure_sync_token(who, account_id, base_url(request)), 201)


@router.delete("/accounts/{account_id}/azure-sync", summary="Disable Azure AD Sync",
               **doc(204, None, 400, 401, 403, 404))
def disable_azure_sync(account_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).scim.disable_azure_sync(who, account_id)
    return Response(status_code=204)


# --- the SCIM 2.0 endpoint (RFC 7644) ---------------------------------------------------------
def scim_caller(account_id: str, request: Request, authorization: str | None = Header(None)) -> Caller:
    return store_of(request).scim.scim_caller(account_id, authorization)


def _scim(body: dict[str, Any] | None, status: int = 200) -> Response:
    if body is None:
        return Response(status_code=status)
    headers = {}
    if version := (body.get("meta") or {}).get("version"):
        headers["ETag"] = version
    if status == 201:
        headers["Location"] = body["meta"]["location"]
    return JSONResponse(body, status_code=status, headers=headers, media_type=SCIM_CONTENT_TYPE)


async def _body(request: Request) -> Any:
    try:
        return json.loads(await request.body())
    except ValueError:
        raise ScimError(400, "the body is not valid JSON", "invalidSyntax") from None


def _int(request: Request, name: str) -> int | None:
    value = request.query_params.get(name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise ScimError(400, f"{name} must be an integer", "invalidValue") from None


def _shown(request: Request):
    """RFC 7644 §3.9: `attributes` / `excludedAttributes` choose what a returned User carries."""
    return response_parameters(request.query_params.get("attributes"), request.query_params.get("excludedAttributes"))


# A path under a SCIM endpoint (`/scim/2017-09-01/{accountId}/v2/...`): its errors are SCIM's too.
SCIM_ENDPOINT = re.compile(rf"^/scim/{API_VERSION}/[^/]+/v2(/|$)")


def is_scim_endpoint(path: str) -> bool:
    return bool(SCIM_ENDPOINT.match(path))


def _base(request: Request, account_id: str) -> str:
    return scim_base_url(base_url(request), account_id)


@router.get("/{account_id}/v2/ServiceProviderConfig", summary="SCIM: what this endpoint supports",
            **doc(200, ScimMessage, *SCIM_ERRORS, **SCIM))
def scim_service_provider_config(request: Request, who: Caller = Depends(scim_caller)) -> Response:
    return _scim(service_provider_config())


@router.get("/{account_id}/v2/ResourceTypes", summary="SCIM: the resource types served here (User)",
            **doc(200, ScimList, *SCIM_ERRORS, **SCIM))
def scim_list_resource_types(account_id: str, request: Request, who: Caller = Depends(scim_caller)) -> Response:
    return _scim(list_resource_types(_base(request, account_id)))


@router.get("/{account_id}/v2/ResourceTypes/{resource_type_id}", summary="SCIM: one resource type",
            **doc(200, ScimResource, *SCIM_ERRORS, 404, **SCIM))
def scim_get_resource_type(account_id: str, resource_type_id: str, request: Request,
                           who: Caller = Depends(scim_caller)) -> Response:
    return _scim(get_resource_type(_base(request, account_id), resource_type_id))


@router.get("/{account_id}/v2/Schemas", summary="SCIM: the schemas of the resources served here",
            **doc(200, ScimList, *SCIM_ERRORS, **SCIM))
def scim_list_schemas(account_id: str, request: Request, who: Caller = Depends(scim_caller)) -> Response:
    return _scim(list_schemas(_base(request, account_id)))


@router.get("/{account_id}/v2/Schemas/{schema_id}", summary="SCIM: one schema, by its URN",
            **doc(200, ScimResource, *SCIM_ERRORS, 404, **SCIM))
def scim_get_schema(account_id: str, schema_id: str, request: Request, who: Caller = Depends(scim_caller)) -> Response:
    return _scim(get_schema(_base(request, account_id), schema_id))


@router.get("/{account_id}/v2/Users", summary="SCIM: list or filter users (filter, startIndex, count)",
            **doc(200, ScimList, *SCIM_ERRORS, 400, **SCIM))
def scim_list_users(request: Request, who: Caller = Depends(scim_caller)) -> Response:
    return _scim(store_of(request).scim_users.list_users(
        who, base_url(request), request.query_params.get("filter"), _int(request, "startIndex"),
        _int(request, "count"), _shown(request)))


SEARCH = doc(200, ScimList, *SCIM_ERRORS, 400, body=ScimBody, **SCIM)


@router.post("/{account_id}/v2/.search", summary="SCIM: search (a SearchRequest body; Users are all there is)",
             **SEARCH)
@router.post("/{account_id}/v2/Users/.search", summary="SCIM: search users (a SearchRequest body)", **SEARCH)
async def scim_search_users(request: Request, who: Caller = Depends(scim_caller)) -> Response:
    body = await _body(request)
    return _scim(store_of(request).scim_users.search_users(who, base_url(request), body))


@router.post("/{account_id}/v2/Users", summary="SCIM: create a user",
             **doc(201, ScimUser, *SCIM_ERRORS, 400, 409, body=ScimBody, **SCIM))
async def scim_create_user(request: Request, who: Caller = Depends(scim_caller)) -> Response:
    body = await _body(request)
    return _scim(store_of(request).scim_users.create_user(who, body, base_url(request), _shown(request)), 201)


@router.get("/{account_id}/v2/Users/{user_id}", summary="SCIM: get a user",
            **doc(200, ScimUser, *SCIM_ERRORS, 400, 404, **SCIM))
def scim_get_user(user_id: str, request: Request, who: Caller = Depends(scim_caller)) -> Response:
    return _scim(store_of(request).scim_users.get_user(who, user_id, base_url(request), _shown(request)))


@router.put("/{account_id}/v2/Users/{user_id}", summary="SCIM: replace a user",
            **doc(200, ScimUser, *SCIM_ERRORS, 400, 404, 409, body=ScimBody, **SCIM))
async def scim_replace_user(user_id: str, request: Request, who: Caller = Depends(scim_caller)) -> Response:
    body = await _body(request)
    return _scim(store_of(request).scim_users.replace_user(who, user_id, body, base_url(request), _shown(request)))


@router.patch("/{account_id}/v2/Users/{user_id}", summary="SCIM: patch a user (PatchOp)",
              **doc(200, ScimUser, *SCIM_ERRORS, 400, 404, 409, body=ScimBody, **SCIM))
async def scim_patch_user(user_id: str, request: Request, who: Caller = Depends(scim_caller)) -> Response:
    body = await _body(request)
    return _scim(store_of(request).scim_users.patch_user(who, user_id, body, base_url(request), _shown(request)))


@router.delete("/{account_id}/v2/Users/{user_id}", summary="SCIM: delete a user",
               **doc(204, None, *SCIM_ERRORS, 404, 409, **SCIM))
def scim_delete_user(user_id: str, request: Request, who: Caller = Depends(scim_caller)) -> Response:
    store_of(request).scim_users.delete_user(who, user_id)
    return Response(status_code=204)
