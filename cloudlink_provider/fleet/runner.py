"""Run one engine operation over many customer stacks at once, bounded, isolated and interruptible.

Owns the fleet loop: a bounded pool of workers (`--parallel`), one stack per
worker through the Automation API (preview, up, drift = preview --refresh
--expect-no-changes, refresh, destroy), each customer's result classified on
its own so one failure never stops or corrupts the others, and Ctrl-C
(SIGINT/SIGTERM) turned into a clean stop: queued stacks never start, running
engines are asked to cancel (the engine finishes its current step, saves the
state and releases the lock), and any lock an engine of ours died holding is
released. It renders nothing: progress goes to a `Listener`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, Callable, Protocol

from pulumi import automation as auto

from .engine import redact_url
from .errors import usage
from .events import EventCollector
from .report import CANCELLED, CHANGED, DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome
from .workspace import EngineRun, Project, run_engine, tracking

OPERATIONS = ("preview", "up", "drift", "refresh", "destroy")
ENGINE_PARALLEL = 4  # resource operations at once inside one stack: fleet parallel x this bounds the API calls


def default_parallel() -> int:
    """Stacks at once by default: min(4, 2 x CPUs); the engine and its program are mostly waiting on I/O."""
    return max(1, min(4, (os.cpu_count() or 1) * 2))


@dataclass(frozen=True)
class RunOptions:
    operation: str
    parallel: int = default_parallel()
    refresh: bool = False            # preview/up: refresh the state first
    expect_no_changes: bool = False  # preview: changes count as drift (exit 3)
    shard: str | None = None

    def __post_init__(self) -> None:
        if self.operation not in OPERATIONS:
            raise usage(f"unknown fleet operation {self.operation!r} (one of {', '.join(OPERATIONS)})")
        if self.parallel < 1:
            raise usage("--parallel must be at least 1")

    @property
    def drift_semantics(self) -> bool:
        """Changes mean drift: `drift`, or `preview --expect-no-changes`."""
        return self.operation == "drift" or (self.operation == "preview" and self.expect_no_changes)


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


_STDERR = re.compile(r"\n stderr: (.*)\Z", re.DOTALL)


def failure_reason(error: BaseException, collector: EventCollector) -> str:
    """Why a stack failed, in the engine's words: its error diagnostics, else the CLI's error lines."""
    if collector.errors:
        return "\n".join(collector.errors)
    text = str(error)
    if isinstance(error, auto.CommandError):
        match = _STDERR.search(text)
        stderr = (match.group(1) if match else text).strip()
        lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
        errors = [ln[len("error: "):] for ln in lines if ln.startswith("error: ")]
        return "\n".join((errors or lines)[-8:]) or text.strip()[-2000:]
    return f"{type(error).__name__}: {error}"


class Fleet:
    """One fleet command over a project: `run(names, options)` returns the report; `cancel()` stops it."""

    def __init__(self, project: Project, listener: Listener | None = None):
        self.project = project
        self.listener: Listener = listener or NullListener()
        self._cancelled = threading.Event()
        self._runs: list[EngineRun] = []
        self._runs_lock = threading.Lock()

    # -- cancellation --------------------------------------------------------------------------
    def cancel(self, hard: bool = False) -> None:
        """Stop: queued stacks do not start; running engines cancel gracefully (`hard`: terminate)."""
        self._cancelled.set()
        with self._runs_lock:
            runs = list(self._runs)
        for run in runs:
            run.cancel(hard=hard)
        self.listener.interrupted(hard)

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    # -- the loop ------------------------------------------------------------------------------
    def run(self, names: list[str], options: RunOptions) -> FleetReport:
        report = FleetReport(options.operation, redact_url(self.project.backend_url),
                             expect_no_changes=options.expect_no_changes, shard=options.shard)
        start = time.monotonic()
        outcomes: dict[str, StackOutcome] = {}
        with _interrupts(self.cancel), ThreadPoolExecutor(max_workers=options.parallel,
                                                          thread_name_prefix="fleet") as pool:
            futures = {pool.submit(self._one, name, options): name for name in names}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                for future in done:
                    outcome = outcomes[futures[future]] = future.result()
                    self.listener.finished(outcome)
                self.listener.tick()
        report.stacks = [outcomes[n] for n in names]
        report.duration_s = time.monotonic() - start
        if self.cancelled:
            report.interrupted = True
            report.released_locks = self.project.release_orphaned_locks(self._runs)
        return report

    def _one(self, name: str, options: RunOptions) -> StackOutcome:
        """One customer, start to end. Never raises: whatever goes wrong is this customer's outcome."""
        start = time.monotonic()
        if self.cancelled:
            return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
        run = EngineRun(name)
        with self._runs_lock:
            self._runs.append(run)
        collector = EventCollector(self.project.secret_keys(name))
        self.listener.started(name)

        def on_event(event: auto.EngineEvent) -> None:
            run.on_event(event)
            collector(event)
            self.listener.activity(name, collector.activity)

        error: BaseException | None = None
        try:
            stack = self.project.stack(name, run)
            if self.cancelled:
                return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
            self.listener.activity(name, "running")
            with tracking(run):
                _operate(stack, options, on_event)
        except Exception as e:  # noqa: BLE001 - one customer's failure is a row in the report, never a crash
            error = e
        outcome = classify(name, options, collector, error, run.cancel_requested)
        if options.operation in ("up", "refresh", "drift") and outcome.status in (UNCHANGED, CHANGED, DRIFTED):
            # one `stack output` call: what the last up recorded
            outcome.users = _users_output(self.project, name, run)
        if options.operation == "drift":
            from .blind import write_only_notes

            outcome.notes = write_only_notes(self.project.stacks_dir, name)
        outcome.duration_s = time.monotonic() - start
        return outcome


def _users_output(project: Project, name: str, run: EngineRun) -> dict[str, Any] | None:
    """The `users` stack output (user onboarding's counts and pending users) as the last `up` left it."""
    try:
        value = json.loads(run_engine(project, name, ["stack", "output", "--json"], run).stdout or "{}").get("users")
    except Exception:  # noqa: BLE001 - a report note, never a failure
        return None
    return value if isinstance(value, dict) else None


def _operate(stack: auto.Stack, options: RunOptions, on_event: Callable[[auto.EngineEvent], None]) -> None:
    op = options.operation
    common: dict[str, Any] = {"on_event": on_event, "color": "never", "parallel": ENGINE_PARALLEL}
    if op == "preview":
        stack.preview(diff=True, refresh=options.refresh or None,
                      expect_no_changes=options.expect_no_changes or None, **common)
    elif op == "drift":
        stack.preview(refresh=True, expect_no_changes=True, diff=True, **common)
    elif op == "up":
        stack.up(refresh=options.refresh or None, **common)
    elif op == "refresh":
        stack.refresh(**common)
    elif op == "destroy":
        stack.destroy(**common)


def classify(name: str, options: RunOptions, collector: EventCollector, error: BaseException | None,
             cancel_requested: bool) -> StackOutcome:
    """The customer's status from what the engine said and how the operation ended."""
    counts = collector.counts()
    resources = collector.changes(include_refresh_only=options.operation == "refresh")
    outcome = StackOutcome(name, UNCHANGED, counts, resources)
    if error is not None and cancel_requested:
        outcome.status, outcome.error = CANCELLED, "interrupted: " + failure_reason(error, collector).splitlines()[-1]
    elif error is not None:
        expected_no_changes = (options.drift_semantics and collector.summary is not None
                               and collector.has_changes() and not collector.errors)
        if expected_no_changes:
            outcome.status = DRIFTED
        else:
            outcome.status, outcome.error = FAILED, failure_reason(error, collector)
    elif collector.has_changes() or resources:
        outcome.status = DRIFTED if options.drift_semantics else CHANGED
    return outcome


class _interrupts:
    """While running: the first Ctrl-C (or SIGTERM) cancels gracefully, the second terminates."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, cancel: Callable[..., None]):
        self.cancel = cancel
        self.count = 0
        self.previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        self.count += 1
        self.cancel(hard=self.count > 1)

    def __enter__(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for sig in self.SIGNALS:
            self.previous[sig] = signal.signal(sig, self._handle)

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)
