"""Errors that serialise themselves the way CloudLink does: `{name, message}` (409 may add `labels`).

Raised anywhere in the emulator; `app` catches them in one place.
"""

from __future__ import annotations


class ApiError(Exception):
    status = 400
    name = "BadRequest"

    def __init__(self, message: str, *, name: str | None = None, status: int | None = None,
                 labels: list[str] | None = None, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        if name:
            self.name = name
        if status:
            self.status = status
        self.labels = labels
        self.headers = headers or {}

    def body(self) -> dict:
        body = {"name": self.name, "message": self.message}
        if self.labels:
            body["labels"] = self.labels
        return body


class BadRequest(ApiError):
    status, name = 400, "BadRequest"


class ValidationFailed(ApiError):
    status, name = 400, "ValidationError"


class Unauthorized(ApiError):
    status, name = 401, "Unauthorized"


class Forbidden(ApiError):
    status, name = 403, "Forbidden"


class InsufficientPermissions(ApiError):
    status, name = 403, "InsufficientPermissions"


class NotFound(ApiError):
    status, name = 404, "NotFound"


class Conflict(ApiError):
    status, name = 409, "Conflict"



class ConditionalFailed(ApiError):
    status, name = 409, "ConditionalCheckFailedException"


# --- gateway and integrations (ours: Mitel publishes no API for these) ---------------------------
class GatewayAlreadyAssociated(ApiError):
    status, name = 409, "GatewayAlreadyAssociated"


class GatewayHasPbxLink(ApiError):
    status, name = 409, "GatewayHasPbxLink"


class PbxLinkExists(ApiError):
    status, name = 409, "PbxLinkExists"


class PbxNotConnected(ApiError):
    status, name = 409, "PbxNotConnected"


class PbxUserNotFound(ApiError):
    status, name = 404, "PbxUserNotFound"


class RoleNotAllowed(ApiError):
    status, name = 400, "RoleNotAllowed"


class RoleCapacityExceeded(ApiError):
    status, name = 409, "RoleCapacityExceeded"


class IntegrationExists(ApiError):
    status, name = 409, "IntegrationExists"


class IntegrationNotAllowedOnPartnerAccount(ApiError):
    status, name = 403, "IntegrationNotAllowedOnPartnerAccount"


class BidirectionalRequiresMiVoiceBusiness(ApiError):
    status, name = 400, "BidirectionalRequiresMiVoiceBusiness"
