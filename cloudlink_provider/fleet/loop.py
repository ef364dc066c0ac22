"""The fleet loop: one function per customer on a bounded pool, Ctrl-C turned into a clean stop.

Owns `run_each` (the engine runner and the drift scan both go through it), the
`Listener` a renderer implements to be told what happens, and the signal
handling while a loop runs: the first Ctrl-C (or SIGTERM) cancels gracefully,
the second terminates. It knows nothing of the engine or of CloudLink.
"""

from __future__ import annotations

import os
import signal
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from types import FrameType
from typing import Callable, Protocol

from .report import StackOutcome


def default_parallel() -> int:
    """Stacks at once by default: min(4, 2 x CPUs); the engine and its program are mostly waiting on I/O."""
    return max(1, min(4, (os.cpu_count() or 1) * 2))


class Listener(Protocol):
    def started(self, stack: str) -> None: ...
    def activity(self, stack: str, text: str) -> None: ...
    def finished(self, outcome: StackOutcome) -> None: ...
    def interrupted(self, hard: bool) -> None: ...
    def tick(self) -> None: ...


class NullListener:
    def started(self, stack: str) -> None: pass
    def activity(self, stack: str, text: str) -> None: pass
    def finished(self, outcome: StackOutcome) -> None: pass
    def interrupted(self, hard: bool) -> None: pass
    def tick(self) -> None: pass


Cancel = Callable[..., None]  # cancel(hard=False)


def run_each(names: list[str], one: Callable[[str], StackOutcome], listener: Listener, parallel: int,
             cancel: Cancel, thread_prefix: str) -> list[StackOutcome]:
    """`one(name)` for every stack on a bounded pool, Ctrl-C turned into `cancel`; outcomes in `names` order."""
    outcomes: dict[str, StackOutcome] = {}
    with _interrupts(cancel), ThreadPoolExecutor(max_workers=parallel, thread_name_prefix=thread_prefix) as pool:
        futures = {pool.submit(one, name): name for name in names}
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
            for future in done:
                outcome = outcomes[futures[future]] = future.result()
                listener.finished(outcome)
            listener.tick()
    return [outcomes[n] for n in names]


class _interrupts:
    """While running: the first Ctrl-C (or SIGTERM) cancels gracefully, the second terminates."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, cancel: Cancel):
        self.cancel = cancel
        self.count = 0
        self.previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.count += 1
        self.cancel(hard=self.count > 1)

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in self.SIGNALS:
            self.previous[sig] = signal.signal(sig, self._handle)

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]
