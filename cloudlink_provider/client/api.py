"""`CloudLink`: the client facade, one attribute per API group over one shared session."""

from __future__ import annotations

import httpx

from .accounts import AccountsApi
from .config import ClientConfig
from .identity import IdentityApi
from .gateways import GatewaysApi
from .integrations import IntegrationsApi
from .models import TokenClaims
from .scim import ScimApi
from .users import UsersApi
from .roles import RolesApi
from ._session import Session


class CloudLink:
    def __init__(self, config: ClientConfig, transport: httpx.BaseTransport | None = None):
        self.session = Session(config, transport)
        self.accounts = AccountsApi(self.session)
        self.users = UsersApi(self.session)
        self.identity = IdentityApi(self.session)
        self.scim = ScimApi(self.session)
        self.gateways = GatewaysApi(self.session)
        self.roles = RolesApi(self.session)
        self.integrations = IntegrationsApi(self.session)

    def whoami(self) -> TokenClaims:
        return self.session.json("authentication", "GET", "/token", model=TokenClaims)

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> "CloudLink":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
