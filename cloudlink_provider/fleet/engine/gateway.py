"""The one gateway to the engine: every `pulumi` process this project starts goes through `run_engine`.

Owns how a `pulumi` CLI process is started, watched and ended, and what it
returns: an `EngineResult` (stdout, stderr, exit code), or on a non-zero exit
an `EngineFailed` carrying the same, of the subclass the engine's own words
call for (`StackNotFound`, `StackAlreadyExists`, `StackLocked`), decided here
once so nobody parses an error text back. Each engine starts in its own
session, so the terminal's Ctrl-C never reaches it directly: the fleet forwards
it exactly once, and only while the engine can cancel cleanly (`EngineRun`).
Each engine also dies with the fleet (`env.die_with_parent`), and its plugins
die with it (tools/internal/enginewatch), so a killed fleet leaves no process
behind. With `on_event` the engine's `--event-log` is followed and each event
handed over as the SDK's public `EngineEvent`.

`Project` is the fleet's project directory and what it asks of the engine:
operations with their flags, a stack created only when the backend does not
have it yet (the state room says so without a process), `pulumi cancel`,
config, export and import. It runs no fleet logic and renders nothing.
"""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Callable, Optional

from pulumi.automation import EngineEvent

from ...pulumi_facts import project_name
from ..errors import FleetError, usage
from ..state.checkpoint import CheckpointReader, open_reader
from ..state.locks import LOCKED
from .env import die_with_parent, fleet_env, pulumi_binary

SECRETS_PROVIDER = "passphrase"
# What the Automation API sets for the same commands: `--event-log` is one of the CLI's debug
# flags (PULUMI_DEBUG_COMMANDS), and the CLI knows it is driven by a program, not a person.
ENGINE_ENV = {"PULUMI_DEBUG_COMMANDS": "true", "PULUMI_AUTOMATION_API": "true"}
OnEvent = Callable[[EngineEvent], None]


@dataclass(frozen=True)
class EngineResult:
    """What one `pulumi` process said and how it ended."""
    args: tuple[str, ...]
    stdout: str
    stderr: str
    returncode: int

    def check(self) -> "EngineResult":
        """This result, or its `EngineFailed` raised when the process failed."""
        if self.returncode != 0:
            raise engine_failed(self)
        return self


class EngineFailed(Exception):
    """A `pulumi` process exited non-zero; `stdout`/`stderr` are everything it printed."""

    def __init__(self, result: EngineResult):
        self.result = result
        self.stdout, self.stderr, self.returncode = result.stdout, result.stderr, result.returncode
        super().__init__(f"`pulumi {' '.join(result.args[:2])}` failed (exit code {result.returncode}): "
                         + self.last_error)

    @property
    def error_lines(self) -> list[str]:
        """The engine's `error:` lines, each with the indented lines under it (the locks it lists)."""
        lines = [ln.rstrip() for ln in self.stderr.splitlines() if ln.strip()]
        starts = [i for i, ln in enumerate(lines) if ln.startswith("error: ")]
        return ["\n".join(lines[i:(starts[k + 1] if k + 1 < len(starts) else len(lines))])
                for k, i in enumerate(starts)]

    @property
    def last_error(self) -> str:
        """The engine's last word: its last `error:` line, else its last line of output."""
        said = self.error_lines or [ln for ln in (self.stderr or self.stdout).splitlines() if ln.strip()]
        return said[-1].strip() if said else f"exit code {self.returncode}"


class StackNotFound(EngineFailed):
    """The backend has no such stack."""


class StackAlreadyExists(EngineFailed):
    """`stack init` of a stack the backend already has."""


class StackLocked(EngineFailed):
    """Another engine holds the stack's lock (alive, or dead and never released)."""


def engine_failed(result: EngineResult) -> EngineFailed:
    """The failure, typed by the engine's own words (as the Automation API's `create_command_error` does)."""
    said = result.stderr
    if LOCKED in said:
        return StackLocked(result)
    if "already exists" in said:
        return StackAlreadyExists(result)
    if "no stack named" in said or ("stack" in said and "not found" in said):
        return StackNotFound(result)
    return EngineFailed(result)


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

    def on_event(self, event: EngineEvent) -> None:
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


def run_engine(command: str, args: list[str], cwd: Path, env: dict[str, str], run: "EngineRun | None" = None,
               on_event: Optional[OnEvent] = None, input: str | None = None,
               timeout: float | None = None) -> EngineResult:
    """`pulumi <args>` to completion, in its own session, dying with this process; never raises for the
    engine's own failure (`result.check()` does).

    The calling thread starts the engine and waits for it: the parent-death
    signal is tied to the thread that forked the child, so the engine outlives
    nothing but this process. With `on_event`, the engine's events (its
    `--event-log`) are delivered as they are written, from a second thread; a
    failure handling one is raised here once the engine has exited. `input`
    is its stdin: the way to hand it a secret off the command line.
    """
    cmd = [command, *args, "--non-interactive"]
    with tempfile.TemporaryDirectory(prefix="cloudlink-engine-") as tmp:
        log = Path(tmp) / "events.jsonl"
        if on_event is not None:
            log.touch()
            cmd += ["--event-log", str(log)]
        proc = subprocess.Popen(cmd, cwd=cwd, env={**env, **ENGINE_ENV},
                                stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
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
            if input is not None and proc.stdin is not None:
                try:
                    proc.stdin.write(input)
                    proc.stdin.close()
                except BrokenPipeError:
                    pass
            try:
                code = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
        finally:
            if proc.poll() is None and timeout is not None:
                proc.kill()
            exited.set()
            for thread in threads:
                thread.join()
            if run is not None:
                run.detach(proc, proc.wait())
    if failed:
        raise failed[0]
    return EngineResult(tuple(args), "".join(stdout), "".join(stderr), code)


def run_pulumi(args: list[str], cwd: Path, env: dict[str, str], timeout: float = 600,
               input: str | None = None) -> EngineResult:
    """`pulumi <args>` in `cwd` with `env`, this install's engine; the result whatever the exit code."""
    return run_engine(pulumi_binary(), args, cwd, env, input=input, timeout=timeout)


def _collect(stream: IO[str], into: list[str]) -> None:
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
                        on_event(EngineEvent.from_json(json.loads(line)))
            except Exception as e:  # noqa: BLE001 - raised by run_engine once the engine has exited
                failed.append(e)
                return
            partial = ""


# keyword -> the CLI's flag; a true value adds the flag, other values follow it
FLAGS = {"diff": "--diff", "refresh": "--refresh", "expect_no_changes": "--expect-no-changes",
         "clear_pending_creates": "--clear-pending-creates", "parallel": "--parallel", "color": "--color",
         "run_program": "--run-program", "policy_pack": "--policy-pack"}
COMMANDS = {"preview": ["preview"], "up": ["up", "--yes", "--skip-preview"],
            "refresh": ["refresh", "--yes", "--skip-preview"], "destroy": ["destroy", "--yes", "--skip-preview"]}


def operation_args(command: str, **options: Any) -> list[str]:
    """`preview`/`up`/`refresh`/`destroy` with its flags (`FLAGS`); an option not listed is an error."""
    args = list(COMMANDS[command])
    for key, value in {"color": "never", **options}.items():
        if key not in FLAGS:
            raise TypeError(f"unsupported engine option {key!r}")
        if value is True:
            args.append(FLAGS[key])
        elif value not in (None, False):
            args += [FLAGS[key], str(value)]
    return args


class Project:
    """The fleet's project directory, its engine environment and its state backend."""

    def __init__(self, project_dir: Path, backend_url: str | None = None):
        self.dir = project_dir.resolve()
        if not (self.dir / "Pulumi.yaml").is_file():
            raise usage(f"{self.dir} is not a Pulumi project (no Pulumi.yaml); use --project-dir")
        try:
            self.name = project_name(self.dir)
        except RuntimeError as e:
            raise usage(str(e)) from None
        self.stacks_dir = self.dir / "stacks"
        self.env = fleet_env(self.dir, backend_url)
        self.backend_url = self.env["PULUMI_BACKEND_URL"]
        try:
            binary = pulumi_binary()
        except RuntimeError as e:
            raise FleetError(str(e)) from None
        self.command = binary
        self._backend_lock, self._backend_ready = threading.Lock(), threading.Event()
        self._state: CheckpointReader | None = None
        self._state_lock = threading.Lock()

    def policy_pack(self) -> str | None:
        """The standards' policy pack (`policy/`) when the project has one and a standards file for it to judge
        by; `preview`, `up` and `drift --engine` pass it (`--policy-pack`)."""
        pack = self.dir / "policy"
        if (pack / "PulumiPolicy.yaml").is_file() and (self.stacks_dir / "standards.yaml").is_file():
            return str(pack)
        return None

    # -- the gateway -----------------------------------------------------------------------------
    def pulumi(self, args: list[str], stack: str | None = None, run: EngineRun | None = None,
               on_event: Optional[OnEvent] = None, input: str | None = None) -> EngineResult:
        """`pulumi <args> [--stack <stack>]` in the project; raises `EngineFailed` (typed) on failure."""
        args = [*args, "--stack", stack] if stack is not None else list(args)
        return run_engine(self.command, args, self.dir, self.env, run, on_event, input).check()

    def operate(self, command: str, stack: str, run: EngineRun | None = None, on_event: Optional[OnEvent] = None,
                **options: Any) -> EngineResult:
        """One engine operation (`preview`, `up`, `refresh`, `destroy`) on an existing stack."""
        return self.pulumi(operation_args(command, **options), stack, run, on_event)

    # -- the state backend -----------------------------------------------------------------------
    @property
    def state(self) -> CheckpointReader:
        """The backend's checkpoints (and bucket), read without the engine where the state room can."""
        with self._state_lock:
            if self._state is None:
                self._state = open_reader(self.backend_url, self.name, self.export)
            return self._state

    def close(self) -> None:
        with self._state_lock:
            if self._state is not None:
                self._state.close()
                self._state = None

    # -- stacks ----------------------------------------------------------------------------------
    def ensure_stack(self, name: str, run: EngineRun | None = None) -> None:
        """Create the stack in the backend unless it has it (the committed stack file and its encryption
        salt are kept); no process at all when the state room can see the stack is there."""
        if self.state.exists(name):
            return

        def init() -> None:
            try:
                self.init_stack(name, run)
            except StackAlreadyExists:
                pass

        if self._backend_ready.is_set():
            init()
        else:
            # The first command against a fresh backend creates its tables (PostgreSQL: CREATE TABLE IF
            # NOT EXISTS, which races when run concurrently): let one engine do it before the others.
            with self._backend_lock:
                init()
                self._backend_ready.set()

    def init_stack(self, name: str, run: EngineRun | None = None) -> None:
        """`pulumi stack init` with the passphrase provider; `StackAlreadyExists` if the backend has it."""
        self.pulumi(["stack", "init", "--secrets-provider", SECRETS_PROVIDER, "--no-select"], name, run)

    def remove_stack(self, name: str) -> None:
        self.pulumi(["stack", "rm", "--yes", "--force"], name)

    def cancel(self, name: str) -> None:
        """The one `pulumi cancel`: removes every lock of the stack (only for engines known to be dead)."""
        self.pulumi(["cancel", "--yes"], name)

    def set_config(self, name: str, key: str, value: str, secret: bool = False) -> None:
        """`pulumi config set`; a secret goes on stdin, never on a command line (/proc/<pid>/cmdline).

        The CLI reads a missing value from non-terminal stdin and drops one trailing newline: one is
        added, so the stored value is exactly `value`."""
        if secret:
            self.pulumi(["config", "set", "--secret", key], name, input=value + "\n")
        else:
            self.pulumi(["config", "set", key, value], name)

    def set_config_all(self, name: str, values: dict[str, str]) -> None:
        """Plain (not secret) config values, in one `pulumi config set-all`."""
        args = ["config", "set-all"]
        for key, value in values.items():
            args += ["--plaintext", f"{key}={value}"]
        self.pulumi(args, name)

    def config(self, name: str, show_secrets: bool = False) -> dict[str, Any]:
        """The stack's config as the engine reads it: {key: value}, secrets decrypted only when asked."""
        args = ["config", "--json", *(["--show-secrets"] if show_secrets else [])]
        return {k: v.get("value") for k, v in json.loads(self.pulumi(args, name).stdout or "{}").items()}

    def export(self, name: str) -> Any:
        """`pulumi stack export` (parsed JSON); None when the backend has no such stack."""
        try:
            return json.loads(self.pulumi(["stack", "export"], name).stdout)
        except StackNotFound:
            return None

    def import_deployment(self, name: str, deployment: Any) -> None:
        """`pulumi stack import` of a deployment (as `export` returned it)."""
        with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="cloudlink-import-") as file:
            json.dump(deployment, file)
            file.flush()
            self.pulumi(["stack", "import", "--file", file.name], name)

    def outputs(self, name: str) -> dict[str, Any]:
        """The stack's outputs from its checkpoint as the last run wrote it (secret ones still encrypted);
        {} when the backend has no such stack or it was never deployed."""
        checkpoint = self.state.read(name)
        return checkpoint.stack_outputs() if checkpoint is not None else {}
