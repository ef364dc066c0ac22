"""How a scan looks on a terminal: one progress bar (a thousand customers do not fit a live table).

Owns only rendering: it is the scan's listener, like `FleetView` (whose CI
output, one line per customer, and final report it keeps); on a terminal the
live view is a bar with counts per status instead of a row per customer.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from ..report import StackOutcome
from .view import STYLE, FleetView


class ScanView(FleetView):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._progress = Progress(TextColumn(f"cloudlink fleet {self.operation}"), BarColumn(),
                                  MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[counts]}"))
        self._task = self._progress.add_task("scan", total=len(self._rows), counts="")
        self._counts: dict[str, int] = {}

    def finished(self, outcome: StackOutcome) -> None:
        super().finished(outcome)
        with self._lock:
            self._counts[outcome.status] = self._counts.get(outcome.status, 0) + 1
            counts = ", ".join(f"{n} {s}" for s, n in sorted(self._counts.items()))
        self._progress.update(self._task, advance=1, counts=counts)

    def _render(self) -> Any:
        with self._lock:
            note = self._note
            failed = [(n, r["text"]) for n, r in self._rows.items() if r["state"] in ("failed", "drifted")][-5:]
        lines = [Text(f"  {n}: {t[:120]}", style=STYLE.get("drifted", "")) for n, t in failed]
        parts: list[Any] = [self._progress.get_renderable(), *lines]
        if note:
            parts.append(Text(note, style="magenta"))
        return Group(*parts)
