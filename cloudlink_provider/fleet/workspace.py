"""The Automation API over the project directory, and the engine processes it starts.

Owns `pulumi.automation` wiring: one `LocalWorkspace` over the project root (so
Pulumi.yaml's `stackConfigDir: stacks` applies), stacks selected or created
with the passphrase secrets provider (the committed `stacks/Pulumi.<name>.yaml`
and its `encryptionsalt` are kept), and every `pulumi` process started in its
own session and tracked, so that Ctrl-C reaches each engine exactly once and
only while it can cancel cleanly. It runs no fleet logic and renders nothing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Optional

from pulumi import automation as auto
from pulumi.automation._cmd import CommandResult, OnOutput, _fixup_path
from pulumi.automation.errors import create_command_error

from .engine import file_backend_dir, fleet_env, pulumi_binary
from .errors import FleetError, usage
from .stacks import StackFile

SECRETS_PROVIDER = "passphrase"
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


class TrackedCommand(auto.PulumiCommand):
    """`PulumiCommand` whose processes start in their own session and are tracked per stack.

    Same contract as `PulumiCommand.run`; the only differences: the terminal's
    Ctrl-C does not reach the engine directly (the fleet forwards it, once,
    at the right moment), and the process is registered with the `EngineRun`
    of the thread that started it.
    """

    def run(self, args: list[str], cwd: str, additional_env: Mapping[str, str],
            on_output: Optional[OnOutput] = None, on_error: Optional[OnOutput] = None) -> CommandResult:
        sep = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:sep]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            env = _fixup_path(env, os.path.dirname(self.command))
        stdout_chunks: list[str] = []
        stderr_chunks: list[str] = []

        def consume(stream: Any, callback: Optional[OnOutput], chunks: list[str]) -> None:
            for line in iter(stream.readline, ""):
                stripped = line.rstrip()
                if callback:
                    callback(stripped)
                chunks.append(stripped)
            stream.close()

        run: EngineRun | None = getattr(_current, "run", None)
        with subprocess.Popen([self.command, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=cwd,
                              env=env, encoding="utf-8", start_new_session=True) as process:
            if run is not None:
                run.attach(process)
            readers = [threading.Thread(target=consume, args=(process.stdout, on_output, stdout_chunks)),
                       threading.Thread(target=consume, args=(process.stderr, on_error, stderr_chunks))]
            for reader in readers:
                reader.start()
            for reader in readers:
                reader.join()
            code = process.wait()
            if run is not None:
                run.detach(process, code)
        result = CommandResult(stdout="\n".join(stdout_chunks), stderr="\n".join(stderr_chunks), code=code)
        if code != 0:
            raise create_command_error(result)
        return result


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
        self.command = TrackedCommand(root=str(Path(binary).parent.parent), skip_version_check=True)

    def workspace(self) -> auto.LocalWorkspace:
        return auto.LocalWorkspace(work_dir=str(self.dir), env_vars=self.env, pulumi_command=self.command,
                                   secrets_provider=SECRETS_PROVIDER, pulumi_home=self.env["PULUMI_HOME"])

    def stack(self, name: str, run: EngineRun | None = None) -> auto.Stack:
        """Select the stack, creating it in the backend first if this backend has never seen it."""
        with tracking(run):
            return auto.Stack.create_or_select(name, self.workspace())

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
                    self.workspace_stack(run.stack).cancel()
                    released.append(run.stack)
                except auto.CommandError:
                    pass
        return released

    def workspace_stack(self, name: str) -> auto.Stack:
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
