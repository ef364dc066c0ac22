"""Integrations API routes (`/integrations/2017-09-01`): thin handlers over `store.integrations`.

Handlers parse and delegate; every rule lives in `store.IntegrationStore`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Request, Response
from fastapi.responses import JSONResponse

from ...wire import API_VERSION
from ..common import Caller
from ..deps import Paging, caller, one, paging, store_of
from ..openapi import doc
from .models import Consent, Integration, IntegrationCreate, IntegrationList, IntegrationUpdate

router = APIRouter(prefix=f"/integrations/{API_VERSION}/accounts/{{account_id}}/integrations",
                   tags=["integrations"])


@router.get("", summary="List the account's integrations ($filter=type eq 'MS_TEAMS')",
            **doc(200, IntegrationList, 400, 401, 403, 404))
def list_integrations(account_id: str, request: Request, who: Caller = Depends(caller),
                      paging: Paging = Depends(paging)) -> dict[str, Any]:
    items = store_of(request).integrations.list_integrations(who, account_id)
    return paging.page(items)


@router.post("", summary="Integrate Microsoft Teams (status CONSENT_PENDING, with a consentUrl)",
             **doc(201, Integration, 400, 401, 403, 404, 409, body=IntegrationCreate))
def create_integration(account_id: str, request: Request, body: dict[str, Any] = Body(...),
                       who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).integrations.create_integration(who, account_id, body), 201)


@router.get("/{integration_id}", summary="Get an integration", **doc(200, Integration, 400, 401, 403, 404))
def get_integration(account_id: str, integration_id: str, request: Request,
                    who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).integrations.get_integration(who, account_id, integration_id))


@router.put("/{integration_id}", summary="Change clientId, clientSecret or mode (tenantId is immutable)",
            **doc(200, Integration, 400, 401, 403, 404, 409, body=IntegrationUpdate))
def update_integration(account_id: str, integration_id: str, request: Request, body: dict[str, Any] = Body(...),
                       who: Caller = Depends(caller), if_match: str | None = Header(None)) -> JSONResponse:
    return one(store_of(request).integrations.update_integration(who, account_id, integration_id, body, if_match))


@router.delete("/{integration_id}", summary="Remove the integration", **doc(204, None, 400, 401, 403, 404))
def delete_integration(account_id: str, integration_id: str, request: Request,
                       who: Caller = Depends(caller)) -> Response:
    store_of(request).integrations.delete_integration(who, account_id, integration_id)
    return Response(status_code=204)


@router.post("/{integration_id}/consent", summary="Record the Azure AD admin's consent: {granted: bool}",
             **doc(200, Integration, 400, 401, 403, 404, body=Consent))
def grant_consent(account_id: str, integration_id: str, request: Request, body: dict[str, Any] = Body(...),
                  who: Caller = Depends(caller)) -> JSONResponse:
    return one(store_of(request).integrations.grant_consent(who, account_id, integration_id, body))
