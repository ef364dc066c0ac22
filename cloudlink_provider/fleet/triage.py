"""The triage file on disk: `stacks/drift-accepted.yaml`, read before a drift run and appended by `--accept`.

Owns the file's bytes only: reading it (YAML, with each entry's line for the report's
`entry` reference), and writing entries `--accept` made (the comment lines the file
opens with are kept; entries for the same customer, resource and field are replaced).
What an entry means is `findings.py`'s (`parse_triage`, `acceptances_for`). A file
that does not load raises `TriageError`, one line naming the file and the field,
before anything runs.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import yaml

from ..yamltext import yaml_problem
from .findings import TRIAGE_FILE, Triage, TriageError, parse_triage


def triage_path(stacks_dir: Path) -> Path:
    return Path(stacks_dir) / TRIAGE_FILE


def _label(stacks_dir: Path) -> str:
    return f"{Path(stacks_dir).name}/{TRIAGE_FILE}"


def _entry_lines(text: str) -> dict[int, int]:
    """Entry index -> the line (1-based) where it starts, from the YAML's node marks."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return {}
    if not isinstance(node, yaml.MappingNode):
        return {}
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "accepted" and isinstance(value, yaml.SequenceNode):
            return {i: item.start_mark.line + 1 for i, item in enumerate(value.value)}
    return {}


def load_triage(stacks_dir: Path) -> Triage:
    """The triage file, validated; no file: nothing accepted."""
    path, label = triage_path(stacks_dir), _label(stacks_dir)
    if not path.exists():
        return Triage(label)
    try:
        text = path.read_text()
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise TriageError(f"{label}: {yaml_problem(e)}") from None
    except OSError as e:
        raise TriageError(f"{label}: {e.strerror}") from None
    return parse_triage(data, label, _entry_lines(text))


HEADER = ("# Drift findings the team has reviewed and accepted (cloudlink fleet drift --accept writes entries).\n"
          "# An entry covers one customer (customer:) or a label selector (select:), a resource and a field\n"
          "# (* for any), at the value whose fingerprint it names. It stops covering the finding when the\n"
          "# value changes or on its expiry date: the nightly drift run fails on it again.\n")


def write_acceptances(stacks_dir: Path, entries: list[dict[str, Any]]) -> Path:
    """Add `entries` to the triage file (creating it); an older entry for the same customer, resource and
    field is replaced. The result is validated before it is written."""
    path = triage_path(stacks_dir)
    text = path.read_text() if path.exists() else ""
    data = (yaml.safe_load(text) if text else None) or {}
    header = HEADER
    if text:
        lead = []
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            lead.append(line + "\n")
        header = "".join(lead)
    replaced = {(e["customer"], e["resource"], e["field"]) for e in entries}
    kept = [e for e in data.get("accepted") or []
            if (e.get("customer"), e.get("resource"), e.get("field", "*")) not in replaced]
    data["accepted"] = kept + entries
    parse_triage(data, _label(stacks_dir))  # what we write must load
    body = yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=120, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(header + body)
    return path


def default_expiry(today: date, days: int = 90) -> date:
    from datetime import timedelta

    return today + timedelta(days=days)


__all__ = ["HEADER", "TriageError", "default_expiry", "load_triage", "triage_path", "write_acceptances"]
