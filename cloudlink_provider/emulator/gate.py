"""The ASGI layer in front of every route: correlation ids, the journal, faults and rate limiting.

Pure ASGI (not a Starlette middleware) because fault injection must be able to
drop a connection mid-response, which only the raw `send` channel can do.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any, Callable

from .controls.store import Controls, Fault
from .store import Store

_STATUS_NAMES = {429: "TooManyRequests", 500: "InternalServerError", 502: "BadGateway",
                 503: "ServiceUnavailable", 504: "GatewayTimeout"}


def _json_start(status: int, body: bytes, cid: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
               (b"x-mitel-correlation-id", cid.encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in (extra or {}).items()]
    return {"type": "http.response.start", "status": status, "headers": headers}


class Gate:
    def __init__(self, app: Callable, store: Store, controls: Controls):
        self.app, self.store, self.controls = app, store, controls
        self._partner_by_token: dict[str, str] = {}

    async def __call__(self, scope: dict, receive: Callable, send: Callable) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = scope["method"], scope["path"]
        service = path.strip("/").split("/", 1)[0]
        cid = str(uuid.uuid4())
        status = {"code": 0}

        async def send_tagged(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-mitel-correlation-id", cid.encode())]}
            await send(message)

        if service.startswith("_emulator") or service in ("openapi.json", "docs", ""):
            await self.app(scope, receive, send_tagged)
            return

        fault = self.controls.pick_fault(method, path)
        try:
            if fault and not fault.after:
                status["code"] = await self._fail(fault, send, cid)
            elif (wait := self._rate_limited(scope)) > 0:
                body = json.dumps({"name": "TooManyRequests", "message": "rate limit exceeded; retry later"}).encode()
                await send(_json_start(429, body, cid, {"Retry-After": str(max(1, round(wait)))}))
                await send({"type": "http.response.body", "body": body})
                status["code"] = 429
            elif fault:  # act, then lose the response
                async def swallow(message: dict) -> None:
                    return None
                await self.app(scope, receive, swallow)
                status["code"] = await self._fail(fault, send, cid)
            else:
                await self.app(scope, receive, send_tagged)
        finally:  # dropped connections too: the journal shows every request that arrived
            self.controls.record(method, path, 0 if fault and fault.drop else status["code"], service,
                                 fault.id if fault else None)

    async def _fail(self, fault: Fault, send: Callable, cid: str) -> int:
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.drop:
            # Promise a body and close early: the client sees the connection die mid-response.
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-length", b"1024"), (b"content-type", b"application/json")]})
            await send({"type": "http.response.body", "body": b"{", "more_body": False})
            return 0
        code = fault.status or 503
        body = json.dumps({"name": _STATUS_NAMES.get(code, "InjectedFault"),
                           "message": "fault injected by the emulator"}).encode()
        await send(_json_start(code, body, cid, {"Retry-After": "1"} if code in (429, 503) else None))
        await send({"type": "http.response.body", "body": body})
        return code

    def _partner_of(self, token: str) -> str | None:
        """The partner a token's calls count against; cached, since claims and partnerId never change."""
        if token not in self._partner_by_token:
            claims = self.store.db.get("token", token)
            if claims is None:
                return None
            account = self.store.db.get("account", claims["accountId"]) or {}
            self._partner_by_token[token] = account.get("partnerId") or claims["accountId"]
        return self._partner_by_token[token]

    def _rate_limited(self, scope: dict) -> float:
        auth = dict(scope.get("headers") or []).get(b"authorization", b"").decode()
        if not auth.lower().startswith("bearer "):
            return 0.0
        partner = self._partner_of(auth[7:].strip())
        if partner is None:
            return 0.0
        s = self.store.ctx.settings
        return self.controls.take_token(partner, s.rate_limit_per_s, s.rate_burst)
