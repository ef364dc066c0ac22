"""How `cloudlink fleet show` looks: a customer's effective spec, each value with where it came from.

Renders what `fleet.layering.describe` returns (labels, provider settings, secrets as [secret], the
spec), as tables, or as JSON for tools. Decides nothing.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text


def _cell(value: Any) -> Text:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    lines = text.strip().splitlines() or [""]
    return Text(lines[0] + (f" … ({len(lines)} lines)" if len(lines) > 1 else ""))


def print_show(out: Console, err: Console, customer: str, shown: dict[str, Any], as_json: bool) -> None:
    if as_json:
        out.print(json.dumps(shown, indent=2, default=str), markup=False, highlight=False, soft_wrap=True)
        return
    head = f"{customer}: {shown['file']}"
    if shown["fleetFile"]:
        head += f" over {shown['fleetFile']}"
    if shown["profiles"]:
        head += f" (profiles, in order: {', '.join(shown['profiles'])})"
    out.print(head, markup=False, highlight=False)
    for title, rows in (("labels", shown["labels"]), ("provider", shown["provider"]),
                        ("secrets", shown["secrets"]), ("spec", shown["spec"])):
        if not rows:
            continue
        table = Table(title=title, title_justify="left")
        for column in ("key", "value", "from"):
            table.add_column(column)
        for key, row in rows.items():
            table.add_row(Text(key), _cell(row["value"]), Text(row["from"]))
        out.print(table)
    for path, origin in shown["removed"].items():
        out.print(f"removed: {path} (an explicit null in {origin})", markup=False, highlight=False)
    for problem in shown["problems"]:
        err.print(f"invalid: {problem}", style="red", markup=False, highlight=False)
