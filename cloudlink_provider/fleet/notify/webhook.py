"""The generic webhook's JSON, pure: one document per run with every event the target asked for.

    {"source": "cloudlink-fleet", "version": 1, "operation": "drift", "startedAt": ..., "exitCode": 3,
     "totals": {...}, "headline": "...", "accepted": 0, "history": true,
     "events": [{"event": "new-drift", "customer": "acme-iberia", "labels": {...}, "text": "..."}]}

`event` is one of new-drift, drift, new-failure, failure, resolved (the names a target's `on:` lists).
New keys may be added; none is removed or renamed (version stays 1).
"""

from __future__ import annotations

from typing import Any

from .events import Digest

VERSION = 1


def webhook_payload(digest: Digest) -> dict[str, Any]:
    return {"source": "cloudlink-fleet", "version": VERSION, "operation": digest.operation,
            "startedAt": digest.started_at, "exitCode": digest.exit_code, "totals": dict(digest.totals),
            "headline": digest.headline(), "accepted": digest.accepted, "history": digest.history,
            "events": [{"event": i.event, "customer": i.customer, "labels": dict(i.labels), "text": i.text}
                       for i in digest.items]}
