"""Azure AD Sync (`/scim/2017-09-01/accounts/{accountId}/azure-sync`): enable, read, rotate, disable.

The SCIM token is returned only by `enable` and `rotate_token`; `get` never
shows it. A lost `enable` answer therefore loses the token: `enable_or_rotate`
recovers by rotating (which voids any earlier token). The SCIM `/Users`
endpoint itself is Azure AD's to call, not ours. Knows no Pulumi.
"""

from __future__ import annotations


from ._paths import path
from ._session import Session, create_or_adopt
from .models import Resource


class AzureSync(Resource):
    accountId: str
    enabled: bool = True
    scimBaseUrl: str
    token: str | None = None  # only right after enable/rotate
    tokenCreatedOn: str | None = None


class ScimApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str) -> str:
        return path("/accounts/{}/azure-sync", account_id)

    def enable(self, account_id: str) -> AzureSync:
        """Turn Azure AD Sync on; the answer holds the SCIM base URL and the token (shown this once)."""
        return self._s.json("scim", "POST", self._path(account_id), model=AzureSync)

    def get(self, account_id: str) -> AzureSync | None:
        return self._s.get_or_none("scim", self._path(account_id), AzureSync)

    def rotate_token(self, account_id: str) -> AzureSync:
        """A new token (the old one stops working). Safe to retry: the last answer's token is the live one."""
        return self._s.json("scim", "POST", self._path(account_id) + "/token", idempotent=True, model=AzureSync)

    def enable_or_rotate(self, account_id: str) -> AzureSync:
        """Enabled, with a token in hand, whatever happened before (rotates when it was already on)."""
        sync, adopted = create_or_adopt(lambda: self._enabled(account_id), lambda: self.enable(account_id),
                                        look_first=False)
        return self.rotate_token(account_id) if adopted else sync  # enabled by an earlier try: a token in hand

    def _enabled(self, account_id: str) -> AzureSync | None:
        sync = self.get(account_id)
        return sync if sync is not None and sync.enabled else None

    def disable(self, account_id: str) -> bool:
        """Turn Azure AD Sync off (its token stops working); False when it was off."""
        return self._s.delete("scim", self._path(account_id))
