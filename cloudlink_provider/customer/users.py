"""The customer spec's `users` block: who becomes a CloudLink user, with which application, and how they sign in.

Owns the block's shape and its rules against the other blocks (`check_users`,
called by `CustomerSpec`), and the preview advisories about it
(`users_warnings`). Two sources, the two sign-in paths of Mitel's guide [brief]:

- `pbx-directory`: the connected PBX's users (all, or listed extensions) are
  created in CloudLink and, with `welcomeEmail`, get the welcome email whose link
  activates their account and sets a password;
- `azure-ad-sync`: Azure AD Sync (SCIM) creates the users; CloudLink sends no
  welcome email of ours and users sign in with Azure AD SSO. The block then only
  deploys the application to the synced users and reports them.

What depends on the live PBX directory (unknown extensions, an `all` selection
larger than the PBX's capacity) is checked by the `UserOnboarding` resource
once the directory is known. No I/O here; imports only the wire facts and rules.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, field_validator, model_validator

from ..wire import EXTENSION_PATTERN
from .rules import APPLICATION_KINDS, PBX_MODELS

ApplicationKind = Literal[tuple(APPLICATION_KINDS)]  # type: ignore[valid-type]
PBX_DIRECTORY, AZURE_AD_SYNC = "pbx-directory", "azure-ad-sync"
ALL = "all"
# [doc] On MiVoice Office 400 each PBX user needs a name and an email to be onboarded (elsewhere an email).
NAME_REQUIRED_PBX = frozenset({"MIVOICE_OFFICE_400"})

LEGACY_WELCOME_EMAIL = (
    "welcomeEmail: moved into the users block; write `users: {welcomeEmail: true}` to onboard every PBX "
    "directory user and send each the welcome email (or `users: {extensions: [\"2001\", ...], "
    "welcomeEmail: true}` for some of them), or remove the key")


class UsersSpec(BaseModel):
    """`users: {source, extensions, application, welcomeEmail}`."""
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["pbx-directory", "azure-ad-sync"] = PBX_DIRECTORY
    extensions: Literal["all"] | list[str] = ALL
    application: ApplicationKind = "mitel-assistant"
    welcomeEmail: bool | None = None  # default: on for pbx-directory, off (and not allowed) for azure-ad-sync

    @field_validator("extensions")
    @classmethod
    def _extensions(cls, value: Any) -> Any:
        if value == ALL:
            return value
        if not value:
            raise ValueError("list at least one extension, or write `all` for every PBX directory user")
        seen: set[str] = set()
        for i, ext in enumerate(value):
            if not re.match(EXTENSION_PATTERN, ext):
                raise ValueError(f"[{i}]: {ext!r} is not a PBX extension (1 to 15 digits, * or #)")
            if ext in seen:
                raise ValueError(f"[{i}]: extension {ext} is listed twice")
            seen.add(ext)
        return value

    @model_validator(mode="after")
    def _source(self) -> "UsersSpec":
        if self.source == AZURE_AD_SYNC:
            if self.extensions != ALL:
                raise ValueError("extensions: with azure-ad-sync, Azure AD decides who becomes a CloudLink "
                                 "user (assign them to the enterprise application in Azure AD)")
            if self.welcomeEmail:
                raise ValueError("welcomeEmail: Azure AD Sync users sign in with Azure AD single sign-on; "
                                 "this block sends them no welcome email (remove the key)")
        return self

    @property
    def sends_welcome_email(self) -> bool:
        return self.source == PBX_DIRECTORY and self.welcomeEmail is not False


def check_users(users: UsersSpec, pbx: Any, sso: Any) -> None:
    """The users block against the pbx and sso blocks; raises ValueError("users.<field>: rule")."""
    if users.source == PBX_DIRECTORY:
        if pbx is None:
            raise ValueError("users: onboarding users from the PBX directory needs gateway and pbx blocks")
        if sso is not None and sso.scim:
            raise ValueError("users.source: Azure AD Sync owns this customer's users (sso.scim is on), so "
                             "onboarding them from the PBX too would make them twice; use source azure-ad-sync")
        model = PBX_MODELS[pbx.type]
        if users.extensions != ALL and len(users.extensions) > model.max_users:
            raise ValueError(f"users.extensions: {len(users.extensions)} users exceed the {model.title} "
                             f"capacity of {model.max_users}")
    elif sso is None or not sso.scim:
        raise ValueError("users.source: azure-ad-sync needs Azure AD Sync on (an sso block with scim: true)")


def users_warnings(users: UsersSpec | None, sso: Any) -> list[str]:
    """Advisories worth a preview warning, never an error."""
    if users is None or not users.sends_welcome_email or sso is None:
        return []
    return ["customer.users.welcomeEmail: single sign-on is set up (sso block), so users sign in with their "
            "Azure AD credentials and need no CloudLink password; the welcome email is unnecessary "
            "(set welcomeEmail: false to send none)"]
