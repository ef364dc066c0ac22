"""Admin API users (`/admin/2017-09-01/accounts/{accountId}/users`): thin calls through the session.

A user's natural key is its email (unique within the account), so a create
whose answer was lost can be adopted with `create_or_adopt(lambda:
users.find_by_email(...), lambda: users.create(...))`. Knows no Pulumi.
"""

from __future__ import annotations

from typing import Any, Iterator

from ._paths import path
from ._session import Session
from .models import Resource


class User(Resource):
    userId: str
    accountId: str
    email: str
    name: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    role: str = "USER"
    extension: str | None = None
    mobile: str | None = None
    phone: str | None = None
    loginId: str | None = None
    languageCode: str | None = None
    active: bool = True
    source: str | None = None  # API, or SCIM for users Azure AD Sync manages
    emailVerified: bool = False  # set when the user followed the welcome email's activation link
    lastLoginOn: str | None = None  # ours: when the user last signed in
    applications: list[str] = []  # ours: the CloudLink applications deployed to the user

    @property
    def activated(self) -> bool:
        """Whether the user has acted: activated through the welcome email, or signed in."""
        return self.emailVerified or self.lastLoginOn is not None


class UsersApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str, user_id: str | None = None) -> str:
        return path("/accounts/{}/users/{}", account_id, user_id)

    def list(self, account_id: str, filter_: str | None = None) -> Iterator[User]:
        return self._s.paged("admin", self._path(account_id), model=User, filter_=filter_)

    def find_by_email(self, account_id: str, email: str) -> User | None:
        """The account's user with this email (the natural key), if any."""
        wanted = email.strip().lower()
        return next((u for u in self.list(account_id) if u.email.lower() == wanted), None)

    def get(self, account_id: str, user_id: str) -> User | None:
        return self._s.get_or_none("admin", self._path(account_id, user_id), User)

    def create(self, account_id: str, fields: dict[str, Any], welcome_email: bool = True) -> User:
        """Create a user; CloudLink sends it the welcome email unless `welcome_email` is False (ours:
        `?welcomeEmail=false`). Never retried blindly: adopt a lost create by email instead."""
        params = None if welcome_email else {"welcomeEmail": "false"}
        return self._s.json("admin", "POST", self._path(account_id), json=fields, params=params, model=User)

    def update(self, account_id: str, user_id: str, fields: dict[str, Any]) -> User:
        return self._s.json("admin", "PUT", self._path(account_id, user_id), json=fields, model=User)

    def delete(self, account_id: str, user_id: str) -> bool:
        """Delete; False when it was already gone (deletes are idempotent)."""
        return self._s.delete("admin", self._path(account_id, user_id))

    def send_welcome_email(self, account_id: str, user_id: str) -> None:
        """Send the welcome email again (safe to repeat: at worst a second email)."""
        self._s.request("admin", "POST", self._path(account_id, user_id) + "/welcome-email", idempotent=True)
