"""Assembles the emulator: routers per service, error rendering, and the gate in front.

`create_app(db_path)` returns an ASGI app; every `ApiError` is rendered here, in
one place, as CloudLink's `{name, message}`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..wire import SERVICES
from . import openapi
from .admin import routes as admin
from .authentication import routes as authentication
from .common import Settings
from .controls import routes as controls_routes
from .controls import seed
from .controls.store import Controls
from .errors import ApiError
from .gate import Gate
from .gateway import routes as gateway
from .integrations import routes as integrations
from .scim import routes as scim
from .scim.store import ScimError
from .store import Store

# One router per service, then the `/_emulator/` controls (the gateway's stand in for the real gateway and PBX).
ROUTERS = [authentication.router, admin.router, gateway.router, integrations.router, scim.router,
           controls_routes.router, seed.router, gateway.controls]


def create_app(db_path: str, settings: Settings | None = None) -> Gate:
    store = Store(db_path, settings)
    controls = Controls()
    api = FastAPI(title="CloudLink emulator", version="2017-09-01",
                  description="A local CloudLink: Authentication, Admin, Gateway, Integrations and SCIM APIs.")
    api.state.store, api.state.controls = store, controls
    for router in ROUTERS:
        api.include_router(router)
    openapi.install(api, gated=tuple(f"/{service}/" for service in SERVICES))

    @api.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"name": "ValidationError", "message": detail}, status_code=400)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if scim.is_scim_endpoint(request.url.path):  # SCIM clients expect SCIM errors, 405 included
            error = ScimError(exc.status_code, f"no route for {request.method} {request.url.path}"
                              if exc.status_code in (404, 405) else str(exc.detail))
            return JSONResponse(error.body(), status_code=exc.status_code,
                                headers={**error.headers, **(exc.headers or {})})
        if exc.status_code in (404, 405):
            return JSONResponse({"name": "UnregisteredRoute",
                                 "message": f"no route for {request.method} {request.url.path}"}, status_code=404)
        return JSONResponse({"name": "HttpError", "message": str(exc.detail)}, status_code=exc.status_code)

    return Gate(api, store, controls)
