"""`/_emulator/` controls for identities: seed users with passwords and API clients with any role; the outbox,
and the activation page the welcome email's link opens (`/_emulator/activate/{token}`).

Never part of CloudLink's API. Seeding bypasses the role and permission rules on
purpose (tests need a GLOBAL_ADMIN client or a USER who can log in) but not the
data rules (a seeded user's email must still be unique in its account).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Request, Response

from ...wire import ROLES_BY_RANK
from ..common import Caller, public
from ..deps import store_of
from ..errors import NotFound, ValidationFailed
from ..openapi import doc
from .models import Activation, ClientSeed, Listing, UserSeed
from ..admin.store import USER

router = APIRouter(prefix="/_emulator", tags=["emulator controls"])
SYSTEM = Caller("system", "", "GLOBAL_ADMIN")


def _account(request: Request, account_id: Any) -> str:
    if not account_id or store_of(request).db.get("account", str(account_id)) is None:
        raise NotFound(f"account {account_id} was not found", name="AccountNotFound")
    return str(account_id)


@router.post("/seed/client", summary="Add API client credentials with any role to an account",
             **doc(201, {'type': 'object'}, 400, 404, body=ClientSeed))
def seed_client(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    account_id = _account(request, body.get("accountId"))
    role = body.get("role", "ACCOUNT_ADMIN")
    if role not in ROLES_BY_RANK:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES_BY_RANK)}", name="InvalidRole")
    return store_of(request).auth.create_client(account_id, role, body.get("clientId"), body.get("clientSecret"),
                                                active=bool(body.get("active", True)))


@router.post("/seed/user",
             summary="Add a user who can log in: {accountId, email, password, role?, ...}",
             **doc(201, {'type': 'object'}, 400, 404, 409, body=UserSeed))
def seed_user(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    store = store_of(request)
    fields = dict(body)
    account_id, password = _account(request, fields.pop("accountId", None)), fields.pop("password", None)
    role = fields.pop("role", "USER")
    if role not in ROLES_BY_RANK:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES_BY_RANK)}", name="InvalidRole")
    with store.db.transaction():
        user = store.users.create_user(SYSTEM, account_id, fields, welcome=False)
        user["role"] = role
        if password:
            store.auth.set_password(user, password)
        store.db.put(USER, user["userId"], user, account_id)
    return public(user)


def _base_url(request: Request) -> str:
    return (store_of(request).ctx.settings.base_url or str(request.base_url)).rstrip("/")


@router.get("/outbox", summary="The emails CloudLink sent (welcome emails, each with its activationUrl), oldest first",
            **doc(200, Listing))
def outbox(request: Request) -> dict[str, Any]:
    base = _base_url(request)
    items = [{**m, "activationUrl": base + m["activationPath"]} if m.get("activationPath") else m
             for m in store_of(request).users.outbox.list()]
    return {"count": len(items), "items": items}


@router.get("/activate/{token}", summary="What the welcome email's link shows: whose account it activates",
            **doc(200, {"type": "object"}, 404))
def activation(token: str, request: Request) -> dict[str, Any]:
    message, user = store_of(request).users.activation(token)
    return {"userId": user["userId"], "accountId": user["accountId"], "email": user["email"],
            "sentOn": message["sentOn"]}


@router.post("/activate/{token}", summary="Follow the welcome email's link: {password} activates the user",
             **doc(200, {"type": "object"}, 400, 404, 409, body=Activation))
def activate(token: str, request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return public(store_of(request).users.activate(token, body.get("password")))


@router.delete("/outbox", summary="Forget the sent emails", **doc(204))
def clear_outbox(request: Request) -> Response:
    store_of(request).users.outbox.clear()
    return Response(status_code=204)
