"""The emulated backend as one object: every domain store over one database.

Handlers call `store.<domain>.<action>`; the same verb is used by the client
(`client.<domain>.<action>`) and the provider, so a grep follows a change end to end.
"""

from __future__ import annotations

from .admin.store import AccountStore, UserStore
from .authentication.store import AuthStore, IdentityProviderStore
from .common import Context, Settings
from .db import Database
from .gateway.store import GatewayStore
from .integrations.store import IntegrationStore
from .scim.store import AzureSyncStore, ScimUsers

DEMO_PARTNER = {"name": "Demo Partner", "client_id": "demo-partner", "client_secret": "demo-partner-secret"}


class Store:
    def __init__(self, db_path: str, settings: Settings | None = None):
        self.ctx = Context(Database(db_path), settings or Settings())
        self.db = self.ctx.db
        self.auth = AuthStore(self.ctx)
        self.accounts = AccountStore(self.ctx)
        self.users = UserStore(self.ctx, self.accounts)
        self.identity = IdentityProviderStore(self.ctx, self.accounts)
        self.scim = AzureSyncStore(self.ctx, self.accounts)
        self.scim_users = ScimUsers(self.users)
        self.gateways = GatewayStore(self.ctx, self.accounts)
        self.integrations = IntegrationStore(self.ctx, self.accounts, self.gateways)
        if not self.db.list("account"):
            self.seed_demo_partner()

    def seed_demo_partner(self) -> dict:
        return self.auth.seed_partner(DEMO_PARTNER["name"], DEMO_PARTNER["client_id"], DEMO_PARTNER["client_secret"])

    def reset(self) -> None:
        """Forget everything and seed the demo partner again."""
        self.db.wipe()
        self.seed_demo_partner()
