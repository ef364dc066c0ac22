"""Admin API routes (`/admin/2017-09-01`): thin handlers over `store.accounts`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from ..wire import API_VERSION
from .common import Caller, page
from .deps import caller, one, self_href, store_of

router = APIRouter(prefix=f"/admin/{API_VERSION}", tags=["admin"])


@router.get("/accounts", summary="List the accounts the caller can see")
def list_accounts(request: Request, who: Caller = Depends(caller), top: int | None = Query(None, alias="$top"),
                  skip: int | None = Query(None, alias="$skip"),
                  filter_: str | None = Query(None, alias="$filter")) -> dict[str, Any]:
    return page(store_of(request).accounts.list_accounts(who), self_href(request), top, skip, filter_)


@router.post("/accounts", status_code=201, summary="Create a customer account under the calling partner")
def create_account(request: Request, body: dict[str, Any] = Body(...), who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).accounts.create_account(who, body), 201)


@router.get("/accounts/{account_id}", summary="Get an account")
def get_account(account_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).accounts.get_account(who, account_id))


@router.put("/accounts/{account_id}", summary="Update an account (partial body)")
def update_account(account_id: str, request: Request, body: dict[str, Any] = Body(...),
                   who: Caller = Depends(caller), if_match: str | None = Header(None)) -> JSONResponse:
    return one(store_of(request).accounts.update_account(who, account_id, body, if_match))


@router.delete("/accounts/{account_id}", status_code=204, summary="Delete a customer account")
def delete_account(account_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).accounts.delete_account(who, account_id)
    return Response(status_code=204)
