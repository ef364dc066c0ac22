"""The fleet's engine processes: the `pulumi` CLI run per stack, in its own session, tracked and watched.

Owns how the fleet starts the engine: it runs the `pulumi` CLI itself (public
commands and flags only: `stack init`, `preview`/`up`/`refresh`/`destroy` with
`--event-log`, `cancel`), so that every engine process is one the fleet holds.
Each engine starts in its own session, so the terminal's Ctrl-C never reaches
it directly: the fleet forwards it exactly once, and only while the engine can
cancel cleanly (`EngineRun`). Each engine also dies with the fleet
(`engine.die_with_parent`), and its plugins die with it (tools/internal/
enginewatch), so a killed fleet leaves no process behind. The engine's events
are read from its event log and handed to the caller as the Automation API's
public `EngineEvent`; failures raise its public `CommandError` family. Locks
our own dead engines left in a `file://` backend are released here. It runs no
fleet logic and renders nothing.
"""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Any, Callable, Optional

from pulumi import automation as auto
from pulumi.automation.errors import create_command_error

from .engine import die_with_parent, file_backend_dir, fleet_env, pulumi_binary
from .errors import FleetError, usage
from .stacks import StackFile

SECRETS_PROVIDER = "passphrase"
# What the Automation API sets for the same commands: `--event-log` is one of the CLI's debug
# flags (PULUMI_DEBUG_COMMANDS), and the CLI knows it is driven by a program, not a person.
ENGINE_ENV = {"PULUMI_DEBUG_COMMANDS": "true", "PULUMI_AUTOMATION_API": "true"}
OnEvent = Callable[[auto.EngineEvent], None]
_current = threading.local()


class EngineRun:
    """One stack's engine process during one operation, and whether it may be interrupted.

    The engine installs its Ctrl-C handler (graceful cancel, then lock release)
    only once the operation has started, which is also when it emits its first
    event, and drops it after the summary. A SIGINT outside that window kills
    the process with the stack lock held; so a cancel requested early is
    delivered on the first event, and never after the summary.
    """

    def __init__(self, stack: str):
        self.stack = stack
        self._lock = threading.Lock()
        self.procs: list[subprocess.Popen] = []
        self.pids: set[int] = set()
        self.in_engine = False  # between the first event and the summary
        self.finished = False
        self.exit_codes: list[int] = []
        self.cancel_requested = False
        self.signals_sent = 0

    def attach(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self.procs.append(proc)
            self.pids.add(proc.pid)

    def detach(self, proc: subprocess.Popen, code: int) -> None:
        with self._lock:
            self.exit_codes.append(code)
            if proc in self.procs:
                self.procs.remove(proc)

    @property
    def killed(self) -> bool:
        """An engine process of this run died without its own cleanup (a signal, or a forced stop)."""
        return self.signals_sent >= 2 or any(code < 0 for code in self.exit_codes)

    def on_event(self, event: auto.EngineEvent) -> None:
        with self._lock:
            if self.finished:
                return
            if event.summary_event is not None or event.cancel_event is not None:
                self.in_engine, self.finished = False, True
                return
            self.in_engine = True
            if self.cancel_requested and self.signals_sent == 0:
                self._signal()

    def cancel(self, hard: bool = False) -> None:
        """Ask the engine to stop: graceful the first time; `hard` sends a second Ctrl-C (terminate now)."""
        with self._lock:
            self.cancel_requested = True
            if self.in_engine and self.signals_sent == 0:
                self._signal()
            elif hard and self.signals_sent == 1:
                self._signal()

    def _signal(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                try:
                    proc.send_signal(signal.SIGINT)
                except ProcessLookupError:
                    pass
        self.signals_sent += 1


def run_engine(project: "Project", stack: str, args: list[str], run: "EngineRun | None" = None,
               on_event: Optional[OnEvent] = None) -> auto.CommandResult:
    """`pulumi <args> --stack <stack>` to completion, in its own session, dying with this process.

    The calling thread starts the engine and waits for it: the parent-death
    signal is tied to the thread that forked the child, so the engine outlives
    nothing but this process. With `on_event`, the engine's events (its
    `--event-log`) are delivered as they are written, from a second thread.
    Raises the Automation API's `CommandError` (or the subclass its stderr
    calls for) on a non-zero exit.
    """
    run = run if run is not None else getattr(_current, "run", None)
    cmd = [project.command, *args, "--stack", stack, "--non-interactive"]
    with tempfile.TemporaryDirectory(prefix="cloudlink-engine-") as tmp:
        log = Path(tmp) / "events.jsonl"
        if on_event is not None:
            log.touch()
            cmd += ["--event-log", str(log)]
        proc = subprocess.Popen(cmd, cwd=project.dir, env={**project.env, **ENGINE_ENV}, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, encoding="utf-8", errors="replace",
                                start_new_session=True, preexec_fn=die_with_parent())
        if run is not None:
            run.attach(proc)
        exited = threading.Event()
        stdout: list[str] = []
        stderr: list[str] = []
        failed: list[BaseException] = []  # the first failure handling an event, raised here, not in a thread
        threads = [threading.Thread(target=_collect, args=(proc.stdout, stdout), daemon=True),
                   threading.Thread(target=_collect, args=(proc.stderr, stderr), daemon=True)]
        if on_event is not None:
            threads.append(threading.Thread(target=_follow, args=(log, on_event, exited, failed), daemon=True))
        for thread in threads:
            thread.start()
        try:
            code = proc.wait()
        finally:
            exited.set()
            for thread in threads:
                thread.join()
            if run is not None:
                run.detach(proc, proc.wait())
    result = auto.CommandResult(stdout="".join(stdout), stderr="".join(stderr), code=code)
    if code != 0:
        raise create_command_error(result)
    if failed:
        raise failed[0]
    return result


def _collect(stream: Any, into: list[str]) -> None:
    for line in iter(stream.readline, ""):
        into.append(line)
    stream.close()


def _follow(path: Path, on_event: OnEvent, exited: threading.Event, failed: list[BaseException]) -> None:
    """Hand each complete line of the engine's event log to `on_event`, until the engine has exited
    and every line written has been read. A line that cannot be read or handled ends the delivery and
    lands in `failed`."""
    partial = ""
    with path.open(encoding="utf-8") as log:
        while True:
            chunk = log.readline()
            if not chunk:
                if exited.is_set():
                    chunk = log.read()  # whatever the engine wrote before it exited
                    if not chunk:
                        return
                else:
                    exited.wait(0.05)  # the engine has not written more yet
                    continue
            partial += chunk
            if not partial.endswith("\n") and not exited.is_set():
                continue
            try:
                for line in partial.splitlines():
                    if line.strip():
                        on_event(auto.EngineEvent.from_json(json.loads(line)))
            except Exception as e:  # noqa: BLE001 - raised by run_engine once the engine has exited
                failed.append(e)
                return
            partial = ""


class EngineStack:
    """One customer stack, driven through the CLI: the operations the fleet runs, taking the Automation
    API's keyword names (`FLAGS`), so the fleet's code reads the same either way."""

    # keyword -> the CLI's flag; a true value adds the flag, other values follow it
    FLAGS = {"diff": "--diff", "refresh": "--refresh", "expect_no_changes": "--expect-no-changes",
             "clear_pending_creates": "--clear-pending-creates", "parallel": "--parallel", "color": "--color",
             "run_program": "--run-program"}

    def __init__(self, project: "Project", name: str, run: "EngineRun | None" = None):
        self.project, self.name, self.run = project, name, run

    def _op(self, args: list[str], on_event: Optional[OnEvent], options: dict[str, Any]) -> auto.CommandResult:
        options = {"color": "never", **options}
        for key, value in options.items():
            if key not in self.FLAGS:
                raise TypeError(f"unsupported engine option {key!r}")
            if value is True:
                args.append(self.FLAGS[key])
            elif value not in (None, False):
                args += [self.FLAGS[key], str(value)]
        return run_engine(self.project, self.name, args, self.run, on_event)

    def preview(self, *, on_event: Optional[OnEvent] = None, **options: Any) -> auto.CommandResult:
        return self._op(["preview"], on_event, options)

    def up(self, *, on_event: Optional[OnEvent] = None, **options: Any) -> auto.CommandResult:
        return self._op(["up", "--yes", "--skip-preview"], on_event, options)

    def refresh(self, *, on_event: Optional[OnEvent] = None, **options: Any) -> auto.CommandResult:
        return self._op(["refresh", "--yes", "--skip-preview"], on_event, options)

    def destroy(self, *, on_event: Optional[OnEvent] = None, **options: Any) -> auto.CommandResult:
        return self._op(["destroy", "--yes", "--skip-preview"], on_event, options)

    def cancel(self) -> None:
        """Release the stack's lock (`pulumi cancel`): only for an engine of ours known to be dead."""
        run_engine(self.project, self.name, ["cancel", "--yes"], self.run)


class Project:
    """The fleet's project directory, its engine environment and its Automation API workspaces."""

    def __init__(self, project_dir: Path, backend_url: str | None = None):
        self.dir = project_dir.resolve()
        if not (self.dir / "Pulumi.yaml").is_file():
            raise usage(f"{self.dir} is not a Pulumi project (no Pulumi.yaml); use --project-dir")
        self.stacks_dir = self.dir / "stacks"
        self.env = fleet_env(self.dir, backend_url)
        self.backend_url = self.env["PULUMI_BACKEND_URL"]
        try:
            binary = pulumi_binary()
        except RuntimeError as e:
            raise FleetError(str(e)) from None
        self.command = binary
        self._backend_lock, self._backend_ready = threading.Lock(), threading.Event()

    def workspace(self) -> auto.LocalWorkspace:
        """An Automation API workspace over the project (for commands that start no engine: stack and config)."""
        return auto.LocalWorkspace(work_dir=str(self.dir), env_vars=self.env,
                                   pulumi_command=auto.PulumiCommand(root=str(Path(self.command).parent.parent),
                                                                     skip_version_check=True),
                                   secrets_provider=SECRETS_PROVIDER, pulumi_home=self.env["PULUMI_HOME"])

    def stack(self, name: str, run: EngineRun | None = None) -> EngineStack:
        """The stack, created in the backend first if this backend has never seen it (the committed stack
        file and its encryption salt are kept)."""
        def init() -> None:
            try:
                run_engine(self, name, ["stack", "init", "--secrets-provider", SECRETS_PROVIDER, "--no-select"], run)
            except auto.StackAlreadyExistsError:
                pass

        if self._backend_ready.is_set():
            init()
        else:
            # The first command against a fresh backend creates its tables (PostgreSQL: CREATE TABLE IF
            # NOT EXISTS, which races when run concurrently): let one engine do it before the others.
            with self._backend_lock:
                init()
                self._backend_ready.set()
        return EngineStack(self, name, run)

    def secret_keys(self, name: str) -> set[str]:
        """The stack's `secure:` config keys (read from its file; no decryption)."""
        return StackFile(self.stacks_dir, name).secure_keys()

    # -- locks (file:// backends) ------------------------------------------------------------
    def lock_files(self) -> list[Path]:
        """Every stack lock in a file:// backend (`.pulumi/locks/...`); [] for other backends."""
        state = file_backend_dir(self.backend_url)
        if state is None:
            return []
        root = state / ".pulumi" / "locks"
        return sorted(root.rglob("*.json")) if root.is_dir() else []

    def release_orphaned_locks(self, runs: list[EngineRun]) -> list[str]:
        """Remove locks left by engine processes of ours that died holding them; returns the stacks.

        file:// backends: exactly the lock files whose pid is one of our (now
        exited) processes on this host. Other DIY backends keep locks where we
        cannot read them; there, `pulumi cancel` releases the lock of a stack
        whose engine was killed by a signal (it cannot have released it).
        """
        released: list[str] = []
        host = socket.gethostname()
        ours = {pid: run for run in runs for pid in run.pids}
        if file_backend_dir(self.backend_url) is not None:
            for path in self.lock_files():
                try:
                    content = json.loads(path.read_text())
                except (OSError, ValueError):
                    continue
                run = ours.get(content.get("pid"))
                if run is not None and content.get("hostname") == host:
                    path.unlink(missing_ok=True)
                    released.append(run.stack)
            return released
        for run in runs:
            if run.killed:
                try:
                    EngineStack(self, run.stack).cancel()
                    released.append(run.stack)
                except auto.CommandError:
                    pass
        return released

    def workspace_stack(self, name: str) -> auto.Stack:
        """The existing stack through the Automation API, for commands that start no engine (export,
        import, cancel); raises `StackNotFoundError` for a stack the backend has never seen."""
        return auto.Stack.select(name, self.workspace())


class tracking:
    """Context manager: processes started by this thread belong to `run`."""

    def __init__(self, run: EngineRun | None):
        self.run = run

    def __enter__(self) -> None:
        self._previous = getattr(_current, "run", None)
        _current.run = self.run

    def __exit__(self, *exc: Any) -> None:
        _current.run = self._previous
