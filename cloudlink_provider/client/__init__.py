"""Typed CloudLink client: httpx + pydantic + tenacity.

Owns the wire: per-service base URLs, OAuth2 tokens, retries where safe, HAL
paging and the error tree. Knows nothing of Pulumi or of the emulator; the real
service and the emulator differ only by `ClientConfig.endpoint`.
"""

from .api import CloudLink
from .config import MITEL_ENDPOINT, ClientConfig
from .errors import (ApiError, CloudLinkError, Conflict, Forbidden, Invalid, NotFound, RateLimited, ServerError,
                     TransportError, Unauthorized, UnexpectedResponse)
from .gateways import Gateway, PbxConnectError, PbxConnectTimeout, PbxLink, PbxLinkFailed, PbxUser
from .integrations import TeamsIntegration
from .identity import IdentityProvider, SamlSettings, azure_saml
from .models import Account, TokenClaims
from .scim import AzureSync
from .users import User
from .roles import PbxRole
from ._session import create_or_adopt

__all__ = [
    "CloudLink", "ClientConfig", "MITEL_ENDPOINT", "create_or_adopt",
    "CloudLinkError", "TransportError", "UnexpectedResponse", "ApiError", "Invalid", "Unauthorized", "Forbidden",
    "NotFound", "Conflict", "RateLimited", "ServerError",
    "Account", "TokenClaims",
    "User", "IdentityProvider", "SamlSettings", "azure_saml", "AzureSync",
    "Gateway", "PbxLink", "PbxUser", "PbxRole", "TeamsIntegration",
    "PbxConnectError", "PbxLinkFailed", "PbxConnectTimeout",
]
