"""How `cloudlink fleet recover` looks: per stack, ready or not, what was done and what is left; then the next step."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from ..commands.recover import Recovery


def print_recoveries(out: Console, results: list[Recovery], stacks_globs: list[str]) -> None:
    for r in results:
        mark = ("✓", "green") if r.ok else ("✗", "red")
        out.print(Text.assemble(mark, f" {r.stack}: " + ("ready" if r.ok else "needs a hand")
                                + ("" if r.done or r.left else " (nothing to recover)")))
        for line in r.done:
            out.print(f"    {line}", markup=False, highlight=False)
        for line in r.left:
            out.print(Text(f"    {line}", style="red"))
    ready = [r.stack for r in results if r.ok]
    for glob in (stacks_globs if len(ready) == len(results) else ready):
        out.print(f"next: .venv/bin/cloudlink fleet up --stacks '{glob}'", markup=False, highlight=False,
                  soft_wrap=True)
