"""`/_emulator/` controls for identities: seed users with passwords and API clients with any role; the outbox.

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
from ..admin.store import USER

router = APIRouter(prefix="/_emulator", tags=["emulator controls"])
SYSTEM = Caller("system", "", "GLOBAL_ADMIN")


def _account(request: Request, account_id: Any) -> str:
    if not account_id or store_of(request).db.get("account", str(account_id)) is None:
        raise NotFound(f"account {account_id} was not found", name="AccountNotFound")
    return str(account_id)


@router.post("/seed/client", status_code=201, summary="Add API client credentials with any role to an account")
def seed_client(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    account_id = _account(request, body.get("accountId"))
    role = body.get("role", "ACCOUNT_ADMIN")
    if role not in ROLES_BY_RANK:
        raise ValidationFailed(f"role must be one of {', '.join(ROLES_BY_RANK)}", name="InvalidRole")
    return store_of(request).auth.create_client(account_id, role, body.get("clientId"), body.get("clientSecret"),
                                                active=bool(body.get("active", True)))


@router.post("/seed/user", status_code=201,
             summary="Add a user who can log in: {accountId, email, password, role?, ...}")
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


@router.get("/outbox", summary="The emails CloudLink sent (welcome emails), oldest first")
def outbox(request: Request) -> dict[str, Any]:
    items = store_of(request).users.outbox.list()
    return {"count": len(items), "items": items}


@router.delete("/outbox", status_code=204, summary="Forget the sent emails")
def clear_outbox(request: Request) -> Response:
    store_of(request).users.outbox.clear()
    return Response(status_code=204)
