"""Gateway API routes (`/gateway/2017-09-01`): thin handlers over `store.gateways`, plus its test controls.

Handlers parse and delegate; every rule lives in `store.GatewayStore`. The
`/_emulator/` controls here stand in for what the real gateway and PBX would
report (gateway status, a PBX's user directory).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from ...wire import API_VERSION
from ..common import Caller
from ..deps import Paging, caller, one, paging, store_of
from ..openapi import doc
from .models import (Gateway, GatewayCreate, GatewayList, GatewayStatus, GatewayUpdate, PbxDirectory, PbxLink,
                     PbxLinkCreate, PbxLinkUpdate, PbxUserList, Role, RoleList, RolePut)

router = APIRouter(prefix=f"/gateway/{API_VERSION}/accounts/{{account_id}}", tags=["gateway"])
controls = APIRouter(prefix="/_emulator", tags=["emulator controls"])


# --- gateways ------------------------------------------------------------------------------------
@router.get("/gateways", summary="List the account's gateways ($filter=serialNumber eq '...')",
            **doc(200, GatewayList, 400, 401, 403, 404))
def list_gateways(account_id: str, request: Request, who: Caller = Depends(caller),
                  paging: Paging = Depends(paging)) -> dict[str, Any]:
    return paging.page(store_of(request).gateways.list_gateways(who, account_id))


@router.post("/gateways", summary="Associate a gateway (by serial number) with the account",
             **doc(201, Gateway, 400, 401, 403, 404, 409, body=GatewayCreate))
def create_gateway(account_id: str, request: Request, body: dict[str, Any] = Body(...),
                   who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).gateways.create_gateway(who, account_id, body), 201)


@router.get("/gateways/{gateway_id}", summary="Get a gateway", **doc(200, Gateway, 400, 401, 403, 404))
def get_gateway(account_id: str, gateway_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).gateways.get_gateway(who, account_id, gateway_id))


@router.put("/gateways/{gateway_id}", summary="Rename a gateway (serialNumber and type are immutable)",
            **doc(200, Gateway, 400, 401, 403, 404, 409, body=GatewayUpdate))
def update_gateway(account_id: str, gateway_id: str, request: Request, body: dict[str, Any] = Body(...),
                   who: Caller = Depends(caller), if_match: str | None = Header(None)) -> JSONResponse:
    return one(store_of(request).gateways.update_gateway(who, account_id, gateway_id, body, if_match))


@router.delete("/gateways/{gateway_id}", summary="Dissociate a gateway (its PBX link must be gone)",
               **doc(204, None, 400, 401, 403, 404, 409))
def delete_gateway(account_id: str, gateway_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).gateways.delete_gateway(who, account_id, gateway_id)
    return Response(status_code=204)


# --- PBX link ------------------------------------------------------------------------------------
@router.post("/gateways/{gateway_id}/pbx-link", summary="Connect the gateway to its PBX",
             **doc(201, PbxLink, 400, 401, 403, 404, 409, body=PbxLinkCreate))
def create_pbx_link(account_id: str, gateway_id: str, request: Request, body: dict[str, Any] = Body(...),
                    who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).gateways.create_pbx_link(who, account_id, gateway_id, body), 201)


@router.get("/gateways/{gateway_id}/pbx-link", summary="Get the gateway's PBX link and its connection status",
            **doc(200, PbxLink, 400, 401, 403, 404))
def get_pbx_link(account_id: str, gateway_id: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).gateways.get_pbx_link(who, account_id, gateway_id))


@router.put("/gateways/{gateway_id}/pbx-link", summary="Change host, port or credentials (reconnects)",
            **doc(200, PbxLink, 400, 401, 403, 404, 409, body=PbxLinkUpdate))
def update_pbx_link(account_id: str, gateway_id: str, request: Request, body: dict[str, Any] = Body(...),
                    who: Caller = Depends(caller), if_match: str | None = Header(None)) -> JSONResponse:
    return one(store_of(request).gateways.update_pbx_link(who, account_id, gateway_id, body, if_match))


@router.delete("/gateways/{gateway_id}/pbx-link",
               summary="Disconnect the PBX (removes the roles assigned through it)",
               **doc(204, None, 400, 401, 403, 404))
def delete_pbx_link(account_id: str, gateway_id: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).gateways.delete_pbx_link(who, account_id, gateway_id)
    return Response(status_code=204)


# --- PBX directory and roles -----------------------------------------------------------------------
@router.get("/pbx/users", summary="The connected PBX's user directory",
            **doc(200, PbxUserList, 400, 401, 403, 404, 409))
def list_pbx_users(account_id: str, request: Request, who: Caller = Depends(caller),
                   paging: Paging = Depends(paging)) -> dict[str, Any]:
    return paging.page(store_of(request).gateways.list_pbx_users(who, account_id))


@router.get("/pbx/roles", summary="The PBX users holding a CloudLink role", **doc(200, RoleList, 400, 401, 403, 404))
def list_roles(account_id: str, request: Request, who: Caller = Depends(caller),
               paging: Paging = Depends(paging)) -> dict[str, Any]:
    return paging.page(store_of(request).gateways.list_roles(who, account_id))


@router.get("/pbx/roles/{extension}", summary="The role of one PBX user", **doc(200, Role, 400, 401, 403, 404))
def get_role(account_id: str, extension: str, request: Request, who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).gateways.get_role(who, account_id, extension))


@router.put("/pbx/roles/{extension}", summary="Give a PBX user its CloudLink role (201 new, 200 existing)",
            **doc(200, Role, 400, 401, 403, 404, 409, body=RolePut, also={201: Role}))
def put_role(account_id: str, extension: str, request: Request, body: dict[str, Any] = Body(...),
             who: Caller = Depends(caller), if_match: str | None = Header(None)) -> JSONResponse:
    doc, created = store_of(request).gateways.put_role(who, account_id, extension, body, if_match)
    return one(doc, 201 if created else 200)


@router.delete("/pbx/roles/{extension}", summary="Take a PBX user's role away", **doc(204, None, 400, 401, 403, 404))
def delete_role(account_id: str, extension: str, request: Request, who: Caller = Depends(caller)) -> Response:
    store_of(request).gateways.delete_role(who, account_id, extension)
    return Response(status_code=204)


# --- test controls ---------------------------------------------------------------------------------
@controls.put("/gateways/{gateway_id}/status", summary="Set what the gateway reports (ONLINE, OFFLINE, ...)",
              **doc(200, Gateway, 400, 404, body=GatewayStatus))
def set_gateway_status(gateway_id: str, request: Request, body: dict[str, Any] = Body(...)) -> JSONResponse:
    return one(store_of(request).gateways.set_gateway_status(gateway_id, body.get("status")))


@controls.put("/pbx-directory", summary="Replace the user directory of the PBX at `host`",
              **doc(200, PbxUserList, 400, body=PbxDirectory))
def set_pbx_directory(request: Request, body: dict[str, Any] = Body(...)) -> dict[str, Any]:
    return store_of(request).gateways.set_directory(body.get("host"), body.get("users"))
