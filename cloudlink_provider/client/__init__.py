"""Typed CloudLink client: httpx + pydantic + tenacity.

Owns the wire: per-service base URLs, OAuth2 tokens, retries where safe, HAL
paging and the error tree; and the one JSON post a notification makes
(`post_webhook`, webhooks.py). Knows nothing of Pulumi or of the emulator; the real
service and the emulator differ only by `ClientConfig.endpoint`. Its public names
are `__all__` (sorted; tests/unit/client/test_public_api.py guards it); the
private modules (`_session`, `_paths`, `_retry`, `_tokens`) stay inside.
"""

from .api import CloudLink
from .config import MITEL_ENDPOINT, ClientConfig
from .errors import (ApiError, CloudLinkError, Conflict, Forbidden, Invalid, NotFound, PbxConnectError,
                     PbxConnectTimeout, PbxLinkFailed, RateLimited, ServerError, TransportError, Unauthorized,
                     UnexpectedResponse)
from .gateways import Gateway, PbxLink, PbxUser
from .integrations import TeamsIntegration
from .identity import IdentityProvider, SamlSettings, azure_saml
from .models import Account, TokenClaims
from .scim import AzureSync
from .users import User
from .roles import PbxRole
from ._session import create_or_adopt
from .webhooks import Delivery, post_webhook

__all__ = [
    "Account",
    "ApiError",
    "AzureSync",
    "ClientConfig",
    "CloudLink",
    "CloudLinkError",
    "Conflict",
    "Delivery",
    "Forbidden",
    "Gateway",
    "IdentityProvider",
    "Invalid",
    "MITEL_ENDPOINT",
    "NotFound",
    "PbxConnectError",
    "PbxConnectTimeout",
    "PbxLink",
    "PbxLinkFailed",
    "PbxRole",
    "PbxUser",
    "RateLimited",
    "SamlSettings",
    "ServerError",
    "TeamsIntegration",
    "TokenClaims",
    "TransportError",
    "Unauthorized",
    "UnexpectedResponse",
    "User",
    "azure_saml",
    "create_or_adopt",
    "post_webhook",
]
