"""`cloudlink fleet preview|up|drift --engine|refresh|destroy`: one engine operation over many customers.

Owns running the engine per customer: `run_operation` (the one way the project
runs an operation on a stack: the fleet, the demo and the end-to-end tests)
creates the stack only when the backend lacks it, runs the one `pulumi`
process of the operation through the gateway, and releases a lock left by an
engine that died on this host (so a killed run does not fail the next one).
`Fleet` runs it for every customer on the fleet loop (loop.py: bounded,
Ctrl-C turned into a clean stop: queued stacks never start, running engines
are asked to cancel, and any lock an engine of ours died holding is released),
and `classify` turns each customer's events and error into its status. Each
stack file is read once per customer (`StackFile.snapshot`); the `users`
report field is read from the checkpoint the run just wrote, not by another
process. It renders nothing: progress goes to a `Listener`.
"""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from ...pulumi_facts import is_secret
from .. import saved_settings
from ..engine.env import redact_url
from ..engine.gateway import EngineFailed, EngineResult, EngineRun, Project, StackLocked
from ..errors import usage
from ..events import Event, EventCollector, PolicyViolation
from ..failures import Diagnostic, engine_diagnostics, summarise
from ..layering import layering_for
from ..loop import Listener, NullListener, default_parallel, run_each
from ..preflight import Problem, check_connectivity
from ..report import CANCELLED, CHANGED, DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome, status_of
from ..scan.blind import write_only_notes
from ..stacks import StackConfig, StackFile
from ..state.locks import read_locks, release_dead_locks

OPERATIONS = ("preview", "up", "drift", "refresh", "destroy")
ENGINE_PARALLEL = 4  # resource operations at once inside one stack: fleet parallel x this bounds the API calls
OnEvent = Callable[[Event, EventCollector], None]
__all__ = ["ENGINE_PARALLEL", "Fleet", "Listener", "NullListener", "OPERATIONS", "RunOptions", "StackRun",
           "classify", "default_parallel", "failure", "failure_reason", "run_operation"]


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


def failure(error: BaseException, collector: EventCollector, stack: str) -> tuple[str, str]:
    """Why a stack failed: (one to three lines for every report, the whole text for --debug)."""
    if collector.errors:
        diagnostics = [Diagnostic(m, collector.error_urns.get(m, "")) for m in collector.errors]
        detail = "\n".join(collector.errors)
    else:
        diagnostics = engine_diagnostics(error)
        detail = (error.stderr.strip() if isinstance(error, EngineFailed) else "") or str(error)
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
    stack_file: StackConfig | None = None  # the stack file as this run read it (once)

    @property
    def returncode(self) -> int:
        return 0 if self.error is None else 1


def run_operation(project: Project, name: str, options: RunOptions, run: EngineRun | None = None,
                  on_event: OnEvent | None = None, should_start: Callable[[], bool] = lambda: True,
                  stack_file: StackConfig | None = None) -> StackRun:
    """The one way this project runs the engine on a stack (the fleet, the demo, the tests).

    One `pulumi` process: `stack init` only when the backend lacks the stack, then the
    operation. Never raises for the stack's own trouble: it is in `error`. A stack locked only
    by engines that died on this host is released and tried once more (what `cloudlink fleet
    recover` would do first).
    """
    run = run or EngineRun(name)
    stack_file = stack_file or StackFile(project.stacks_dir, name).snapshot()
    released: list[str] = []
    for attempt in (1, 2):
        collector = EventCollector(stack_file.secure_keys())

        def handler(event: Event) -> None:
            run.on_event(event)
            collector(event)
            if on_event is not None:
                on_event(event, collector)

        outcome = StackRun(name, options, collector, released_locks=released, stack_file=stack_file)
        try:
            project.ensure_stack(name, run)
            if not should_start():
                outcome.error = _NotStarted()
                return outcome
            result = _operate(project, name, run, options, handler)
            outcome.stdout, outcome.stderr = result.stdout, result.stderr
            return outcome
        except EngineFailed as e:
            outcome.error, outcome.stdout, outcome.stderr = e, e.stdout, e.stderr
        except Exception as e:  # noqa: BLE001 - one customer's failure is its outcome, never a crash
            outcome.error = e
        if attempt == 1 and isinstance(outcome.error, StackLocked) and not run.cancel_requested:
            # (the lock may have refused `stack init` already: `cancel` needs no stack of ours)
            state = project.state
            bucket = state.bucket
            done = release_dead_locks(name, bucket, state.layout() if bucket is not None else None,
                                      outcome.stderr, project.cancel)
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
        self._unusable: dict[str, Problem] = {}  # stacks that cannot reach CloudLink (preflight.py)

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
    def run(self, names: list[str], options: RunOptions, unusable: dict[str, Problem] | None = None) -> FleetReport:
        """`unusable`: the preflight's findings when the caller already checked these stacks' endpoints and
        credentials (a scan-based command); otherwise the preflight runs here, before any engine starts."""
        report = FleetReport(options.operation, redact_url(self.project.backend_url),
                             expect_no_changes=options.expect_no_changes, shard=options.shard)
        start = time.monotonic()
        # a run that cannot reach CloudLink fails (issue 15, point 2): one token grant per endpoint and client
        self._unusable = check_connectivity(self.project, names) if unusable is None else unusable
        report.stacks = run_each(names, lambda name: self._one(name, options), self.listener, options.parallel,
                                 self.cancel, "fleet")
        report.duration_s = time.monotonic() - start
        report.released_locks = sorted(self._released)
        if self.cancelled:
            report.interrupted = True
            report.released_locks = sorted({*report.released_locks, *release_orphaned_locks(self.project, self._runs)})
        return report

    def _one(self, name: str, options: RunOptions) -> StackOutcome:
        """One customer, start to end. Never raises: whatever goes wrong is this customer's outcome."""
        start = time.monotonic()
        if self.cancelled:
            return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
        if name in self._unusable:  # never handed to the engine: nothing planned, nothing saved
            return StackOutcome(name, FAILED, error=self._unusable[name].message)
        run = EngineRun(name)
        with self._runs_lock:
            self._runs.append(run)
        self.listener.started(name)
        stack_file = StackFile(self.project.stacks_dir, name).snapshot()  # the one read of it in this run

        def on_event(event: Event, collector: EventCollector) -> None:
            self.listener.activity(name, collector.activity)

        def should_start() -> bool:
            self.listener.activity(name, "running")
            return not self.cancelled

        done = run_operation(self.project, name, options, run, on_event, should_start, stack_file)
        if isinstance(done.error, _NotStarted):
            return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
        with self._runs_lock:
            self._released += done.released_locks
        outcome = classify(name, options, done.collector, done.error, run.cancel_requested)
        spec_data = layering_for(self.project.stacks_dir).spec_data(name, stack_file.config())  # the effective spec
        if options.operation == "drift":
            outcome.notes = write_only_notes(spec_data, name)
        if (options.operation in ("up", "refresh", "drift") and outcome.status in (UNCHANGED, CHANGED, DRIFTED)
                and "users" in spec_data):
            outcome.users = _users_output(self.project, name)
        outcome.duration_s = time.monotonic() - start
        return outcome


def _users_output(project: Project, name: str) -> dict[str, Any] | None:
    """The `users` stack output (user onboarding's counts and pending users) as the last `up` left it,
    read from the checkpoint (the one this run just wrote, for `up` and `refresh`), not by another process."""
    try:
        value = project.outputs(name).get("users")
    except Exception:  # noqa: BLE001 - a report note, never a failure
        return None
    return value if isinstance(value, dict) and not is_secret(value) else None


def _operate(project: Project, name: str, run: EngineRun, options: RunOptions,
             on_event: Callable[[Event], None]) -> EngineResult:
    op = options.operation
    common: dict[str, Any] = {"color": "never", "parallel": ENGINE_PARALLEL}
    pack = project.policy_pack()  # the standards, judged by the engine: enforce blocks before any write
    if op == "preview":
        return project.operate("preview", name, run, on_event, diff=True, refresh=options.refresh or None,
                               expect_no_changes=options.expect_no_changes or None, policy_pack=pack, **common)
    if op == "drift":
        return project.operate("preview", name, run, on_event, refresh=True, expect_no_changes=True, diff=True,
                               policy_pack=pack, **common)
    if op == "up":
        return project.operate("up", name, run, on_event, refresh=options.refresh or None, policy_pack=pack,
                               **common)
    # the state's copy of the provider settings is what refresh and destroy would use; when the stack file
    # changed them, the program runs once to save the file's (saved_settings.py says why destroy never does)
    stale = op in ("refresh", "destroy") and saved_settings.stale(project, name)
    if op == "refresh":
        return project.operate("refresh", name, run, on_event, run_program=stale or None,
                               clear_pending_creates=options.clear_pending_creates or None, **common)
    if op == "destroy":
        if stale:
            project.operate("refresh", name, run, None, run_program=True, **common)
        return project.operate("destroy", name, run, on_event, **common)
    raise AssertionError(op)


def release_orphaned_locks(project: Project, runs: list[EngineRun]) -> list[str]:
    """Remove locks left by engine processes of ours that died holding them; returns the stacks.

    With a bucket: exactly the locks whose pid is one of our (now exited)
    processes on this host. Without: `pulumi cancel` for a stack whose engine
    was killed by a signal (it cannot have released its lock).
    """
    released: list[str] = []
    host = socket.gethostname()
    state = project.state
    if state.bucket is not None:
        ours = {pid: run for run in runs for pid in run.pids}
        for run in runs:
            for lock in read_locks(state.bucket, state.layout(), run.stack):
                if lock.pid in ours and lock.host == host and lock.key is not None:
                    state.bucket.delete(lock.key)
                    released.append(ours[lock.pid].stack)
        return sorted(set(released))
    for run in runs:
        if run.killed:
            try:
                project.cancel(run.stack)
                released.append(run.stack)
            except EngineFailed:
                pass
    return released


def classify(name: str, options: RunOptions, collector: EventCollector, error: BaseException | None,
             cancel_requested: bool) -> StackOutcome:
    """The customer's status from what the engine said and how the operation ended."""
    counts = collector.counts()
    resources = collector.changes(include_refresh_only=options.operation == "refresh")
    outcome = StackOutcome(name, UNCHANGED, counts, resources,
                           warnings=list(collector.warnings) if options.operation in ("preview", "up") else [])
    outcome.policies = list(collector.policies)
    # `--expect-no-changes` makes the engine fail when it plans changes: that is drift, not a failure
    expected_no_changes = (error is not None and options.drift_semantics and collector.summary is not None
                           and collector.has_changes() and not collector.errors)
    cancelled = error is not None and cancel_requested
    failed = error is not None and not expected_no_changes
    outcome.status = status_of(failed, collector.has_changes() or bool(resources), options.drift_semantics,
                               cancelled)
    if cancelled:
        short, outcome.detail = failure(error, collector, name)  # type: ignore[arg-type]
        outcome.error = "interrupted: " + short.splitlines()[0]
    elif failed:
        outcome.error, outcome.detail = failure(error, collector, name)  # type: ignore[arg-type]
        blocking = [p for p in collector.policies if p.level == "mandatory"]
        if blocking:  # an enforce standard stopped the engine before any write: say which, not "preview failed"
            outcome.error = blocked_by(blocking)
    return outcome


def blocked_by(policies: list[PolicyViolation]) -> str:
    """One to three lines: the enforce standards that stopped this customer, and what to do."""
    first = policies[0]
    lines = [f"blocked by enforce standard {first.standard}: {first.message}"]
    if len(policies) > 1:
        lines.append(f"and {len(policies) - 1} more: " + ", ".join(p.standard for p in policies[1:]))
    lines.append("what to do: change the spec, or add a reviewed exception (reason, expiry) in stacks/standards.yaml; "
                 "nothing was written")
    return "\n".join(lines)
