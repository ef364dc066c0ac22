"""How `cloudlink fleet welcome-email` looks: one row per customer, who got it (or would) and who activated."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..commands.welcome import WelcomeOutcome


def print_welcome(out: Console, results: list[WelcomeOutcome], dry_run: bool) -> None:
    table = Table(title="cloudlink fleet welcome-email" + (" (dry run: nothing sent)" if dry_run else ""))
    for column in ("customer", "would send" if dry_run else "sent", "activated since", "to / error"):
        table.add_column(column)
    for r in results:
        table.add_row(Text(r.stack), str(len(r.sent)), str(r.activated), Text(r.error or ", ".join(r.sent)))
    out.print(table)
