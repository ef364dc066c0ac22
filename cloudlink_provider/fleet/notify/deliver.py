"""Sending each notification target its message, after a run: never raising, never changing the exit code.

`send(targets, report)` takes the fleet file's targets with their URLs decrypted
(`FleetFile.notification_urls`, judged before the run starts) and the report's JSON; per
target it builds the digest (what is new, by default), skips a target with nothing to say,
and posts through the client's `post_webhook` (timeout, bounded retries). The result per
target goes into the report's JSON (`notifications: [{name, type, delivered, error, events}]`)
and one line on the terminal; the URL appears in neither.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ...client import Delivery, post_webhook
from ...fleetfile import Notification
from .events import Digest, digest
from .slack import slack_message
from .teams import teams_message
from .webhook import webhook_payload

BUILDERS: dict[str, Callable[[Digest], dict[str, Any]]] = {"teams": teams_message, "slack": slack_message,
                                                            "webhook": webhook_payload}
ATTEMPTS = 3


@dataclass(frozen=True)
class Sent:
    """What became of one target: `delivered` None when there was nothing to say (nothing was posted)."""
    name: str
    type: str
    events: int
    delivered: bool | None
    error: str | None = None
    attempts: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "events": self.events, "delivered": self.delivered,
                "error": self.error, "attempts": self.attempts}

    def line(self) -> str:
        if self.delivered is None:
            return f"notification {self.name} ({self.type}): nothing to send"
        if self.delivered:
            return f"notification {self.name} ({self.type}): delivered ({self.events} finding(s))"
        return (f"notification {self.name} ({self.type}) NOT delivered: {self.error}; the findings are in this "
                "report, the exit code is unchanged")


Post = Callable[..., Delivery]


def send(targets: Sequence[tuple[Notification, str]], report: Mapping[str, Any], post: Post = post_webhook) -> list[Sent]:
    out: list[Sent] = []
    for target, url in targets:
        said = digest(report, target.on, target.select)
        if said.empty:
            out.append(Sent(target.name, target.type, 0, None))
            continue
        try:
            payload = BUILDERS[target.type](said)
        except Exception as e:  # noqa: BLE001 - a builder bug must not cost the run its report or exit code
            out.append(Sent(target.name, target.type, len(said.items), False,
                            f"the message could not be built ({type(e).__name__})"))
            continue
        result = post(url, payload, timeout_s=target.timeout_s, attempts=ATTEMPTS)
        out.append(Sent(target.name, target.type, len(said.items), result.delivered, result.error, result.attempts))
    return out
