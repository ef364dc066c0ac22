"""The Slack message, pure: Block Kit within Slack's published limits, for an incoming webhook.

`{"text": <fallback>, "blocks": [...]}`: a header, the fleet's totals, one section per finding
group (the same change on N customers is one section), and a context line. The limits it keeps
(LIMITS, each with the page that states it) are checked again by the tests against their own copy
(tests/data/slack-block-kit-limits.json): at most 50 blocks; a section's text at most 3,000
characters; a header's 150; a context at most 10 elements. Groups beyond the blocks allowed are
counted in a last section, never dropped silently.
"""

from __future__ import annotations

from typing import Any

from .events import RESOLVED, Digest, Group

# https://docs.slack.dev/reference/block-kit/blocks (and each block's own page under it)
LIMITS = {"blocks": 50, "section_text": 3000, "header_text": 150, "context_elements": 10, "fallback_text": 3000}
MAX_CUSTOMERS_NAMED = 30

_TITLES = {"new-drift": ":warning: *New drift*", "drift": ":grey_exclamation: *Drift (still there)*",
           "new-failure": ":x: *New failure*", "failure": ":x: *Failure (still failing)*",
           RESOLVED: ":white_check_mark: *Resolved*"}


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _escape(text: str) -> str:
    """Slack's mrkdwn control characters (https://docs.slack.dev/messaging/formatting-message-text)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _cut(text, LIMITS["section_text"])}}


def _group_text(g: Group) -> str:
    names = g.customers[:MAX_CUSTOMERS_NAMED]
    who = ", ".join(f"`{_escape(n)}`" for n in names)
    if len(g.customers) > len(names):
        who += f" and {len(g.customers) - len(names)} more"
    count = f" on {len(g.customers)} customers" if len(g.customers) > 1 else ""
    if g.new and len(g.new) < len(g.customers):
        count += f" (new on {len(g.new)})"
    head = f"{_TITLES[g.event]}{count}: {who}\n"
    room = LIMITS["section_text"] - len(head) - 8
    return head + "```" + _cut(_escape(g.text), max(room, 100)) + "```"


def slack_message(digest: Digest) -> dict[str, Any]:
    headline = digest.headline()
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": _cut(headline, LIMITS["header_text"]),
                                    "emoji": True}},
        _section(f"*Fleet:* {_escape(digest.totals_line())}"
                 + (f"\n*Accepted by triage (not listed):* {digest.accepted}" if digest.accepted else "")
                 + ("" if digest.history else "\n_No earlier run to compare with: every finding counts as new._")),
        {"type": "divider"},
    ]
    closing = {"type": "context", "elements": [
        {"type": "mrkdwn", "text": _escape(f"cloudlink fleet {digest.operation}, started {digest.started_at}")}]}
    groups = digest.groups()
    room = LIMITS["blocks"] - len(blocks) - 1  # the context line closes the message
    shown = groups if len(groups) <= room else groups[:room - 1]
    blocks += [_section(_group_text(g)) for g in shown]
    if len(shown) < len(groups):
        blocks.append(_section(f"_and {len(groups) - len(shown)} more finding group(s): see the run's report._"))
    blocks.append(closing)
    return {"text": _cut(headline, LIMITS["fallback_text"]), "blocks": blocks}
