"""`cloudlink fleet welcome-email`: re-send the welcome email to chosen customers' users who have not activated.

Deliberate and apart from `up`, which never sends a second welcome email. For
each stack it reads what the last `up` recorded (the `accountId` and `users`
outputs) and the stack's provider settings (the engine decrypts the client
secret; it stays in memory and is never printed), asks CloudLink which of those
pending users are still not activated, and sends each of them one email
(`POST .../users/{userId}/welcome-email`). With `dry_run` it only lists them.
Knows the CLI's shape of nothing: `cli.py` parses and renders.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from ..client import CloudLink, CloudLinkError
from ..resources import credentials_from_config
from .engine import run_pulumi


@dataclass
class WelcomeOutcome:
    stack: str
    sent: list[str] = field(default_factory=list)  # emails of the users the email went to (or would, dry run)
    activated: int = 0  # pending at the last up, activated since: skipped
    error: str | None = None


def _json(args: list[str], project_dir: Path, env: dict[str, str]) -> dict:
    result = run_pulumi(args, project_dir, env)
    if result.returncode != 0:
        raise RuntimeError((result.stderr.strip().splitlines() or ["pulumi failed"])[-1])
    return json.loads(result.stdout or "{}")


def resend_one(stack: str, project_dir: Path, env: dict[str, str], dry_run: bool) -> WelcomeOutcome:
    outcome = WelcomeOutcome(stack)
    try:
        outputs = _json(["stack", "output", "--json", "--stack", stack], project_dir, env)
        pending = set((outputs.get("users") or {}).get("pendingUsers") or [])
        if not pending or not outputs.get("accountId"):
            return outcome
        config = _json(["config", "--show-secrets", "--json", "--stack", stack], project_dir, env)
        credentials = credentials_from_config({k: v.get("value") for k, v in config.items()})
        with CloudLink(credentials) as client:
            for user in client.users.list(outputs["accountId"]):
                if user.email not in pending:
                    continue
                if user.activated:
                    outcome.activated += 1
                    continue
                if not dry_run:
                    client.users.send_welcome_email(outputs["accountId"], user.userId)
                outcome.sent.append(user.email)
    except (CloudLinkError, RuntimeError, ValueError) as e:
        outcome.error = str(e).splitlines()[0] if str(e) else type(e).__name__
    return outcome


def resend_welcome(stacks: list[str], project_dir: Path, env: dict[str, str], dry_run: bool = False) \
        -> list[WelcomeOutcome]:
    """One outcome per stack, in order; one customer's failure never stops the others."""
    return [resend_one(name, project_dir, env, dry_run) for name in stacks]
