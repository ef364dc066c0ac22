"""`/_emulator/` controls for tests and the demo: reset, seed, journal, faults, settings.

Never part of CloudLink's API; the prefix cannot collide with a real service route.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from fastapi import APIRouter, Body, Request, Response

from .store import Controls, Fault
from ..deps import store_of
from ..errors import ValidationFailed
from ..openapi import doc
from .models import FaultCreate, Journal, PartnerSeed, Settings
from .models import Fault as FaultShown

router = APIRouter(prefix="/_emulator", tags=["emulator controls"])


def controls_of(request: Request) -> Controls:
    return request.app.state.controls


@router.post("/reset", summary="Forget all data, faults and the journal; seed the demo partner", **doc(204))
def reset(request: Request) -> Response:
    store_of(request).reset()
    controls_of(request).clear_journal()
    controls_of(request).clear_faults()
    return Response(status_code=204)


@router.post("/seed/partner", summary="Add a partner with PARTNER_ADMIN API credentials",
             **doc(201, {'type': 'object'}, 400, body=PartnerSeed))
def seed_partner(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    name = body.get("name") or "Partner"
    client_id, secret = body.get("clientId"), body.get("clientSecret")
    if not client_id or not secret:
        raise ValidationFailed("clientId and clientSecret are required")
    account = store_of(request).auth.seed_partner(name, client_id, secret)
    return {"accountId": account["accountId"], "clientId": client_id}


@router.get("/requests", summary="The request journal: method, path, status and service of each API call",
            **doc(200, Journal))
def journal(request: Request) -> dict[str, Any]:
    return controls_of(request).journal_view()


@router.delete("/requests", summary="Clear the request journal", **doc(204))
def clear_journal(request: Request) -> Response:
    controls_of(request).clear_journal()
    return Response(status_code=204)


@router.post("/faults", summary="Inject a fault into matching requests (seed: replayable)",
             **doc(201, FaultShown, 400, body=FaultCreate))
def add_fault(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    known = {f.name for f in fields(Fault)} - {"id"}
    if set(body) - known:
        raise ValidationFailed(f"unknown fault field(s): {', '.join(sorted(set(body) - known))}")
    seed = body.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise ValidationFailed("seed must be an integer (the same seed faults the same requests again)")
    return controls_of(request).add_fault(Fault(**body))


@router.get("/faults", summary="The active faults", **doc(200, [FaultShown]))
def list_faults(request: Request) -> list[dict[str, Any]]:
    return [asdict(f) for f in controls_of(request).faults]


@router.delete("/faults", summary="Switch every fault off", **doc(204))
def clear_faults(request: Request) -> Response:
    controls_of(request).clear_faults()
    return Response(status_code=204)


@router.put("/settings", summary="Change token lifetimes and the rate limit (seconds, requests/s)",
            **doc(200, {'type': 'object'}, 400, body=Settings))
def put_settings(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    settings = store_of(request).ctx.settings
    known = {f.name for f in fields(settings)}
    if set(body) - known:
        raise ValidationFailed(f"unknown setting(s): {', '.join(sorted(set(body) - known))}")
    for key, value in body.items():
        _check_setting(key, value, getattr(settings, key))
    for key, value in body.items():
        setattr(settings, key, value)
    return asdict(settings)


# A zero rate would break every later request; token lifetimes may be negative (born expired, for tests).
_POSITIVE = {"rate_limit_per_s", "rate_burst"}
_NOT_NEGATIVE = {"pbx_connect_s"}


def _check_setting(key: str, value: Any, current: Any) -> None:
    if isinstance(current, (int, float)) and not isinstance(current, bool):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationFailed(f"{key} must be a number")
        if key in _POSITIVE and value <= 0:
            raise ValidationFailed(f"{key} must be greater than 0")
        if key in _NOT_NEGATIVE and value < 0:
            raise ValidationFailed(f"{key} must be at least 0")
    elif not isinstance(value, type(current)):
        raise ValidationFailed(f"{key} must be a {type(current).__name__}")
