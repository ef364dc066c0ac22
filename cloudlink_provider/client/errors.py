"""The client's exception tree, one class per kind of failure a caller can act on.

    CloudLinkError
    ├── TransportError                    connection refused/reset, timeout, truncated response
    ├── UnexpectedResponse                a 2xx answer that is not JSON or not the expected shape
    ├── PbxConnectError(link)             a PBX link that did not reach CONNECTED (`link`: its last state)
    │   ├── PbxLinkFailed                 the gateway could not connect (wrong host or credentials)
    │   └── PbxConnectTimeout             still CONNECTING at the deadline (also a TimeoutError)
    └── ApiError(status, name, message, correlation_id, labels)
        ├── Invalid          400
        ├── Unauthorized     401
        ├── Forbidden        403
        ├── NotFound         404
        ├── Conflict         409
        ├── RateLimited      429  (retry_after seconds, if the server said)
        └── ServerError      5xx

`error_for(response)` is the one table from status to class; the original
exception is always chained (`raise ... from e`).
"""

from __future__ import annotations

from typing import Any

import httpx


class CloudLinkError(Exception):
    """Anything that went wrong talking to CloudLink."""


class TransportError(CloudLinkError):
    """The request may or may not have reached the server (no usable response)."""


class UnexpectedResponse(CloudLinkError):
    """The server said yes, but its answer cannot be read: not JSON, or not the shape the client expects.

    The message names the call (method and URL) and what was wrong, never the body
    (answers may hold secrets); the parsing error is chained.
    """

    def __init__(self, message: str, method: str = "", url: str = ""):
        self.method, self.url = method, url
        super().__init__(message)


class PbxConnectError(CloudLinkError):
    """The PBX link did not reach CONNECTED; `link` is its last state (a `gateways.PbxLink`)."""

    def __init__(self, message: str, link: Any):
        super().__init__(message)
        self.link = link


class PbxLinkFailed(PbxConnectError):
    """The gateway could not connect to the PBX (wrong host or credentials)."""


class PbxConnectTimeout(PbxConnectError, TimeoutError):
    """Still CONNECTING when the deadline passed."""


class ApiError(CloudLinkError):
    def __init__(self, status: int, name: str, message: str, correlation_id: str | None = None,
                 labels: list[str] | None = None, method: str = "", url: str = ""):
        self.status, self.name, self.message = status, name, message
        self.correlation_id, self.labels = correlation_id, labels or []
        self.method, self.url = method, url
        where = f" ({method} {url})" if method else ""
        cid = f" [correlation id {correlation_id}]" if correlation_id else ""
        super().__init__(f"{status} {name}: {message}{where}{cid}")


class Invalid(ApiError):
    pass


class Unauthorized(ApiError):
    pass


class Forbidden(ApiError):
    pass


class NotFound(ApiError):
    pass


class Conflict(ApiError):
    pass


class RateLimited(ApiError):
    def __init__(self, *args, retry_after: float | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.retry_after = retry_after


class ServerError(ApiError):
    pass


_BY_STATUS: dict[int, type[ApiError]] = {400: Invalid, 401: Unauthorized, 403: Forbidden, 404: NotFound,
                                         409: Conflict, 422: Invalid, 429: RateLimited}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def error_for(response: httpx.Response) -> ApiError:
    """Map an error response to its exception class, keeping CloudLink's `name` and correlation id."""
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    status = response.status_code
    cls = _BY_STATUS.get(status) or (ServerError if status >= 500 else ApiError)
    kwargs = dict(correlation_id=response.headers.get("x-mitel-correlation-id"), labels=body.get("labels"),
                  method=response.request.method, url=str(response.request.url))
    name = body.get("name") or response.reason_phrase.replace(" ", "")
    message = body.get("message") or response.text[:200] or response.reason_phrase
    if cls is RateLimited:
        return RateLimited(status, name, message, retry_after=_retry_after(response), **kwargs)
    return cls(status, name, message, **kwargs)
