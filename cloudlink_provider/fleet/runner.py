"""Run one engine operation over many customer stacks at once, bounded, isolated and interruptible.

Owns the fleet loop: a bounded pool of workers (`--parallel`), one stack per
worker through the Automation API (preview, up, drift = preview --refresh
--expect-no-changes, refresh, destroy), each customer's result classified on
its own so one failure never stops or corrupts the others, and Ctrl-C
(SIGINT/SIGTERM) turned into a clean stop: queued stacks never start, running
engines are asked to cancel (the engine finishes its current step, saves the
state and releases the lock), and any lock an engine of ours died holding is
released. `run_operation` is the one way the project runs the engine on a stack
(the fleet, the demo and the end-to-end tests): it also releases a lock left by
an engine that died on this host, so a killed run does not fail the next one.
It renders nothing: progress goes to a `Listener`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

from pulumi import automation as auto

from .engine import redact_url
from .errors import usage
from .events import EventCollector
from .failures import Diagnostic, summarise
from .recover import LOCKED, file_backend_for, release_dead_locks
from .report import CANCELLED, CHANGED, DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome
from .stacks import StackFile
from .workspace import EngineRun, EngineStack, Project, run_engine, tracking

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
    clear_pending_creates: bool = False  # refresh: drop creates a killed run never saw finish (recover)

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


_CLI_OUTPUT = re.compile(r"\n stdout: (?P<stdout>.*)\n stderr: (?P<stderr>.*)\Z", re.DOTALL)


def command_output(error: BaseException) -> tuple[str, str]:
    """(stdout, stderr) of a failed `pulumi` command (the Automation API keeps them only in the text)."""
    match = _CLI_OUTPUT.search(str(error).rstrip("\n") + "\n") if isinstance(error, auto.CommandError) else None
    return (match["stdout"], match["stderr"].rstrip("\n")) if match else ("", str(error))


def engine_message(error: BaseException) -> str:
    """A failed engine command in its own words: its `error:` lines (else its last lines), cleaned."""
    return summarise(_cli_diagnostics(error), {}, "")


def _cli_diagnostics(error: BaseException) -> list[Diagnostic]:
    if not isinstance(error, auto.CommandError):
        return [Diagnostic(f"{type(error).__name__}: {error}")]
    stderr = command_output(error)[1].strip()
    lines = [ln.rstrip() for ln in stderr.splitlines() if ln.strip()]
    errors = [i for i, ln in enumerate(lines) if ln.startswith("error: ")]
    if not errors:
        return [Diagnostic("\n".join(lines[-8:]) or str(error).strip()[-2000:])]
    # an `error:` line and the indented lines under it (the locks the engine lists) are one message
    chunks = [lines[i:(errors[k + 1] if k + 1 < len(errors) else len(lines))] for k, i in enumerate(errors)]
    return [Diagnostic("\n".join(chunk)) for chunk in chunks]


def failure(error: BaseException, collector: EventCollector, stack: str) -> tuple[str, str]:
    """Why a stack failed: (one to three lines for every report, the whole text for --debug)."""
    if collector.errors:
        diagnostics = [Diagnostic(m, collector.error_urns.get(m, "")) for m in collector.errors]
        detail = "\n".join(collector.errors)
    else:
        diagnostics = _cli_diagnostics(error)
        detail = command_output(error)[1].strip() or str(error)
    ops = {urn: change.op for urn, change in collector.steps.items()}
    return summarise(diagnostics, ops, stack), detail


def failure_reason(error: BaseException, collector: EventCollector, stack: str = "") -> str:
    return failure(error, collector, stack)[0]


@dataclass
class StackRun:
    """One engine operation on one stack, as it ended: what the engine said (its events, collected,
    and its text output) and the error, if it failed."""
    name: str
    options: RunOptions
    collector: EventCollector
    error: BaseException | None = None
    stdout: str = ""
    stderr: str = ""
    released_locks: list[str] = field(default_factory=list)  # locks of dead engines this run released first

    @property
    def returncode(self) -> int:
        return 0 if self.error is None else 1


def run_operation(project: Project, name: str, options: RunOptions, run: EngineRun | None = None,
                  on_event: Callable[[auto.EngineEvent, EventCollector], None] | None = None,
                  should_start: Callable[[], bool] = lambda: True) -> StackRun:
    """The one way this project runs the engine on a stack (the fleet, the demo, the tests).

    Never raises for the stack's own trouble: it is in `error`. A stack locked only by engines that
    died on this host is released and tried once more (what `cloudlink fleet recover` would do first).
    """
    run = run or EngineRun(name)
    released: list[str] = []
    for attempt in (1, 2):
        collector = EventCollector(project.secret_keys(name))

        def handler(event: auto.EngineEvent) -> None:
            run.on_event(event)
            collector(event)
            if on_event is not None:
                on_event(event, collector)

        outcome = StackRun(name, options, collector, released_locks=released)
        stack: EngineStack | None = None
        try:
            stack = project.stack(name, run)
            if not should_start():
                outcome.error = _NotStarted()
                return outcome
            with tracking(run):
                result = _operate(stack, options, handler)
            outcome.stdout, outcome.stderr = getattr(result, "stdout", ""), getattr(result, "stderr", "")
            return outcome
        except Exception as e:  # noqa: BLE001 - one customer's failure is its outcome, never a crash
            outcome.error = e
            outcome.stdout, outcome.stderr = command_output(e)
        text = outcome.stderr + "\n".join(collector.errors)
        if attempt == 1 and LOCKED in text and not run.cancel_requested:
            # (the lock may have refused `stack init` already: `cancel` needs no stack of ours)
            done = release_dead_locks(stack or EngineStack(project, name, run), name, text, file_backend_for(project))
            if done:
                released.append(name)
                continue
        return outcome
    return outcome


class _NotStarted(Exception):
    pass


class Fleet:
    """One fleet command over a project: `run(names, options)` returns the report; `cancel()` stops it."""

    def __init__(self, project: Project, listener: Listener | None = None):
        self.project = project
        self.listener: Listener = listener or NullListener()
        self._cancelled = threading.Event()
        self._runs: list[EngineRun] = []
        self._runs_lock = threading.Lock()
        self._released: list[str] = []

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
        report.stacks = run_each(names, lambda name: self._one(name, options), self.listener, options.parallel,
                                 self.cancel, "fleet")
        report.duration_s = time.monotonic() - start
        report.released_locks = sorted(self._released)
        if self.cancelled:
            report.interrupted = True
            report.released_locks = sorted({*report.released_locks,
                                            *self.project.release_orphaned_locks(self._runs)})
        return report

    def one(self, name: str, options: RunOptions) -> StackOutcome:
        """One customer through the engine, outside `run` (the scan hands it the customers it cannot judge)."""
        return self._one(name, options)

    def _one(self, name: str, options: RunOptions) -> StackOutcome:
        """One customer, start to end. Never raises: whatever goes wrong is this customer's outcome."""
        start = time.monotonic()
        if self.cancelled:
            return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
        run = EngineRun(name)
        with self._runs_lock:
            self._runs.append(run)
        self.listener.started(name)
        def on_event(event: auto.EngineEvent, collector: EventCollector) -> None:
            self.listener.activity(name, collector.activity)

        def should_start() -> bool:
            self.listener.activity(name, "running")
            return not self.cancelled

        done = run_operation(self.project, name, options, run, on_event, should_start)
        if isinstance(done.error, _NotStarted):
            return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
        with self._runs_lock:
            self._released += done.released_locks
        outcome = classify(name, options, done.collector, done.error, run.cancel_requested)
        if options.operation == "drift":
            from .blind import write_only_notes

            outcome.notes = write_only_notes(self.project.stacks_dir, name)
        if (options.operation in ("up", "refresh", "drift") and outcome.status in (UNCHANGED, CHANGED, DRIFTED)
                and "users" in StackFile(self.project.stacks_dir, name).spec()):
            outcome.users = _users_output(self.project, name, run)  # one `stack output`: what the last up recorded
        outcome.duration_s = time.monotonic() - start
        return outcome


def _users_output(project: Project, name: str, run: EngineRun) -> dict[str, Any] | None:
    """The `users` stack output (user onboarding's counts and pending users) as the last `up` left it."""
    try:
        value = json.loads(run_engine(project, name, ["stack", "output", "--json"], run).stdout or "{}").get("users")
    except Exception:  # noqa: BLE001 - a report note, never a failure
        return None
    return value if isinstance(value, dict) else None


def _operate(stack: EngineStack, options: RunOptions, on_event: Callable[[auto.EngineEvent], None]) -> Any:
    op = options.operation
    common: dict[str, Any] = {"on_event": on_event, "color": "never", "parallel": ENGINE_PARALLEL}
    if op == "preview":
        return stack.preview(diff=True, refresh=options.refresh or None,
                             expect_no_changes=options.expect_no_changes or None, **common)
    if op == "drift":
        return stack.preview(refresh=True, expect_no_changes=True, diff=True, **common)
    if op == "up":
        return stack.up(refresh=options.refresh or None, **common)
    if op == "refresh":
        return stack.refresh(clear_pending_creates=options.clear_pending_creates or None, **common)
    if op == "destroy":
        return stack.destroy(**common)
    raise AssertionError(op)


def classify(name: str, options: RunOptions, collector: EventCollector, error: BaseException | None,
             cancel_requested: bool) -> StackOutcome:
    """The customer's status from what the engine said and how the operation ended."""
    counts = collector.counts()
    resources = collector.changes(include_refresh_only=options.operation == "refresh")
    outcome = StackOutcome(name, UNCHANGED, counts, resources)
    if error is not None and cancel_requested:
        short, detail = failure(error, collector, name)
        outcome.status, outcome.error = CANCELLED, "interrupted: " + short.splitlines()[0]
        outcome.detail = detail
    elif error is not None:
        expected_no_changes = (options.drift_semantics and collector.summary is not None
                               and collector.has_changes() and not collector.errors)
        if expected_no_changes:
            outcome.status = DRIFTED
        else:
            outcome.status = FAILED
            outcome.error, outcome.detail = failure(error, collector, name)
    elif collector.has_changes() or resources:
        outcome.status = DRIFTED if options.drift_semantics else CHANGED
    return outcome


def run_each(names: list[str], one: Callable[[str], StackOutcome], listener: Listener, parallel: int,
             cancel: Callable[..., None], thread_prefix: str) -> list[StackOutcome]:
    """`one(name)` for every stack on a bounded pool, Ctrl-C turned into `cancel`; outcomes in `names` order.

    The one fleet loop: the engine runner and the drift scan both go through it."""
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
