"""Admin API routes (`/admin/2017-09-01`): thin handlers over `store.accounts` and `store.users`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query, Request, Response
from fastapi.responses import JSONResponse

from ...wire import API_VERSION
from ..common import Caller, public
from ..deps import Paging, caller, one, paging, store_of
from ..openapi import doc
from .models import (Account, AccountCreate, AccountList, AccountUpdate, User, UserCreate, UserList, UserUpdate,
                     WelcomeEmail)

router = APIRouter(prefix=f"/admin/{API_VERSION}", tags=["admin"])


# --- accounts -------------------------------------------------------------------------------------

@router.get("/accounts", summary="List the accounts the caller can see", **doc(200, AccountList, 400, 401, 403))
def list_accounts(request: Request, who: Caller = Depends(caller),
                  paging: Paging = Depends(paging)) -> dict[str, Any]:
    return paging.page(store_of(request).accounts.list_accounts(who))


@router.post("/accounts", summary="Create a customer account under the calling partner",
             **doc(201, Account, 400, 401, 403, 404, body=AccountCreate))
def create_account(request: Request, body: dict[str, Any] = Body(...), who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).accounts.create_account(who, body), 201)


@router.get("/accounts/{account_id}", summary="Get an account", **doc(200, Account, 400, 401, 403, 404))
def get_account(account_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).accounts.get_account(who, account_id))


@router.put("/accounts/{account_id}", summary="Update an account (partial body)",
            **doc(200, Account, 400, 401, 403, 404, 409, body=AccountUpdate))
def update_account(account_id: str, request: Request, body: dict[str, Any] = Body(...),
                   who: Caller = Depends(caller), if_match: str | None = Header(None)) -> JSONResponse:
    return one(store_of(request).accounts.update_account(who, account_id, body, if_match))


@router.delete("/accounts/{account_id}", summary="Delete a customer account", **doc(204, None, 400, 401, 403, 404))
def delete_account(account_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).accounts.delete_account(who, account_id)
    return Response(status_code=204)


# --- users ----------------------------------------------------------------------------------------

@router.get("/accounts/{account_id}/users", summary="List an account's users ($filter, $top, $skip)",
            **doc(200, UserList, 400, 401, 403, 404))
def list_users(account_id: str, request: Request, who: Caller = Depends(caller),
               paging: Paging = Depends(paging)) -> dict[str, Any]:
    return paging.page(store_of(request).users.list_users(who, account_id))


@router.post("/accounts/{account_id}/users",
             summary="Create a user (sends the welcome email unless ?welcomeEmail=false, ours)",
             **doc(201, User, 400, 401, 403, 404, 409, body=UserCreate))
def create_user(account_id: str, request: Request, body: Any = Body(...), who: Caller = Depends(caller),
                welcome_email: bool = Query(True, alias="welcomeEmail")) -> JSONResponse:
    return one(store_of(request).users.create_user(who, account_id, body, welcome=welcome_email), 201)


@router.get("/accounts/{account_id}/users/{user_id}", summary="Get a user", **doc(200, User, 400, 401, 403, 404))
def get_user(account_id: str, user_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).users.get_user(who, account_id, user_id))


@router.put("/accounts/{account_id}/users/{user_id}", summary="Update a user (partial body)",
            **doc(200, User, 400, 401, 403, 404, 409, body=UserUpdate))
def update_user(account_id: str, user_id: str, request: Request, body: Any = Body(...),
                who: Caller = Depends(caller), if_match: str | None = Header(None)) -> JSONResponse:
    return one(store_of(request).users.update_user(who, account_id, user_id, body, if_match))


@router.delete("/accounts/{account_id}/users/{user_id}", summary="Delete a user",
               **doc(204, None, 400, 401, 403, 404, 409))
def delete_user(account_id: str, user_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).users.delete_user(who, account_id, user_id)
    return Response(status_code=204)


@router.post("/accounts/{account_id}/users/{user_id}/welcome-email",
             summary="Send the welcome email again", **doc(202, WelcomeEmail, 400, 401, 403, 404))
def send_welcome_email(account_id: str, user_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    sent = public(store_of(request).users.send_welcome_email(who, account_id, user_id))
    sent.pop("activationPath", None)  # the link goes to the user's mailbox, never to the API caller
    return JSONResponse(sent, status_code=202)
