"""How `cloudlink fleet import` looks: a table of the customers, their warnings, the secrets still to set."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..commands.importer import FAILED, ImportResult


def print_imports(out: Console, err: Console, results: list[ImportResult], exposed: str | None = None) -> None:
    table = Table(title="cloudlink fleet import")
    for column in ("account", "id", "stack file", "blocks", "result"):
        table.add_column(column)
    for r in results:
        cells = (r.account_name, r.account_id, f"stacks/Pulumi.{r.stack}.yaml" if r.stack else "",
                 ", ".join(r.blocks), f"{r.status}{': ' + r.reason if r.reason else ''}")
        table.add_row(*(Text(cell) for cell in cells))  # CloudLink's text, never rich markup
    out.print(table)
    for r in results:
        for warning in r.warnings:
            err.print(f"warning: {r.stack or r.account_name}: {warning}", style="yellow", markup=False,
                      highlight=False)
    if exposed:  # the stacks just written are protected by the public demo passphrase (fleet/passphrase.py)
        err.print(exposed, style="bold yellow", markup=False, highlight=False)
    needing = [r for r in results if r.status != FAILED and r.missing_secrets]
    if needing:
        out.print("\nWrite-only secrets CloudLink cannot return; set them before `cloudlink fleet up` "
                  "(run in the project directory, with the same backend and passphrase):", markup=False,
                  highlight=False)
        for r in needing:
            out.print(f"  {r.stack}:", markup=False, highlight=False)
            for command in r.secret_commands():
                out.print(f"    {command}", markup=False, highlight=False, soft_wrap=True)
