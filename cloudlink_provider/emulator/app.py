"""Assembles the emulator: routers per service, error rendering, and the gate in front.

`create_app(db_path)` returns an ASGI app; every `ApiError` is rendered here, in
one place, as CloudLink's `{name, message}`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from . import routes_admin, routes_auth, routes_controls, routes_gateway, routes_integrations
from . import routes_identity, routes_scim, routes_seed, routes_users
from .common import Settings
from .controls import Controls
from .errors import ApiError
from .gate import Gate
from .store import Store

ROUTERS = [routes_auth.router, routes_admin.router, routes_controls.router,
           routes_gateway.router, routes_gateway.controls, routes_integrations.router]

ROUTERS += [routes_users.router, routes_identity.router, routes_scim.router, routes_seed.router]


def create_app(db_path: str, settings: Settings | None = None) -> Gate:
    store = Store(db_path, settings)
    controls = Controls()
    api = FastAPI(title="CloudLink emulator", version="2017-09-01",
                  description="A local CloudLink: Authentication, Admin, Gateway, Integrations and SCIM APIs.")
    api.state.store, api.state.controls = store, controls
    for router in ROUTERS:
        api.include_router(router)

    @api.exception_handler(ApiError)
    async def api_error(_: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)

    @api.exception_handler(RequestValidationError)
    async def invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        return JSONResponse({"name": "ValidationError", "message": detail}, status_code=400)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code in (404, 405):
            return JSONResponse({"name": "UnregisteredRoute",
                                 "message": f"no route for {request.method} {request.url.path}"}, status_code=404)
        return JSONResponse({"name": "HttpError", "message": str(exc.detail)}, status_code=exc.status_code)

    return Gate(api, store, controls)
