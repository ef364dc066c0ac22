"""`cloudlink fleet welcome-email`: re-send the welcome email to chosen customers' users who have not activated.

Deliberate and apart from `up`, which never sends a second welcome email. For
each stack it reads what the last `up` recorded (the `accountId` and `users`
outputs, from the stack's checkpoint) and the stack's provider settings (the
engine decrypts the client secret, through the gateway; it stays in memory and
is never printed), asks CloudLink which of those pending users are still not
activated, and sends each of them one email (`POST .../users/{userId}/welcome-email`).
With `dry_run` it only lists them. Renders nothing: render/welcome.py does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import Any

from ...client import ClientConfig, CloudLink, CloudLinkError
from ...passphrase import Passphrase, passphrase_from
from ...pulumi_facts import is_secret
from ...resources import credentials_from_config
from ..engine.gateway import EngineFailed, Project
from ..errors import FleetError
from ..layering import layering_for
from ..state.errors import StateError


def resolved_credentials(setting: Any, project: Project) -> ClientConfig:
    """The stack's own provider settings, then the fleet file's (as the engine's providers resolve them)."""
    phrase = passphrase_from(project.env)
    try:
        fleet = layering_for(project.stacks_dir).provider_settings(Passphrase(phrase) if phrase is not None else None)
    except FleetError as e:
        raise ValueError(str(e)) from None
    return credentials_from_config(setting, fleet=fleet)


@dataclass
class WelcomeOutcome:
    stack: str
    sent: list[str] = field(default_factory=list)  # emails of the users the email went to (or would, dry run)
    activated: int = 0  # pending at the last up, activated since: skipped
    error: str | None = None


def resend_one(project: Project, stack: str, dry_run: bool) -> WelcomeOutcome:
    outcome = WelcomeOutcome(stack)
    try:
        outputs = project.outputs(stack)
        users = outputs.get("users") or {}
        if is_secret(users) or is_secret(outputs.get("accountId")):
            raise ValueError("the stack's outputs are secret: read them with `pulumi stack output --show-secrets`")
        pending = set(users.get("pendingUsers") or [])
        if not pending or not outputs.get("accountId"):
            return outcome
        config = resolved_credentials(project.config(stack, show_secrets=True), project)
        with CloudLink(config) as client:
            for user in client.users.list(outputs["accountId"]):
                if user.email not in pending:
                    continue
                if user.activated:
                    outcome.activated += 1
                    continue
                if not dry_run:
                    client.users.send_welcome_email(outputs["accountId"], user.userId)
                outcome.sent.append(user.email)
    except EngineFailed as e:
        outcome.error = e.last_error
    except (CloudLinkError, StateError, ValueError) as e:
        outcome.error = str(e).splitlines()[0] if str(e) else type(e).__name__
    return outcome


def resend_welcome(project: Project, stacks: list[str], dry_run: bool = False) -> list[WelcomeOutcome]:
    """One outcome per stack, in order; one customer's failure never stops the others."""
    return [resend_one(project, name, dry_run) for name in stacks]
