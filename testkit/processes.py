"""Which processes belong to one test run, found without psutil: every process whose environment
carries the run's marker (`RUN_MARKER=<tag>`), read from /proc. The engine passes its environment
on to its plugins and they to their children, so the marker finds the whole tree of a run even
after its parents died and its members were re-parented."""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

RUN_MARKER = "CLOUDLINK_E2E_RUN"


def new_tag() -> str:
    return uuid.uuid4().hex


def marked(env: dict[str, str], tag: str) -> dict[str, str]:
    return {**env, RUN_MARKER: tag}


def kind(cmdline: list[str]) -> str:
    """What a process of a run is, by its command line."""
    text = " ".join(cmdline)
    if "pulumi.dynamic" in text:
        return "provider"
    if "pulumi-resource-pulumi-python" in text:
        return "provider shim"
    if "pulumi-language-python-exec" in text:
        return "program"
    if "pulumi-language-python" in text:
        return "language host"
    if cmdline and Path(cmdline[0]).name == "pulumi":
        return "engine"
    if "cloudlink" in text and "fleet" in cmdline:
        return "fleet"
    return Path(cmdline[0]).name if cmdline else "?"


def run_processes(tag: str) -> dict[int, str]:
    """pid -> kind of every live (non-zombie) process carrying the marker `tag`."""
    needle = f"{RUN_MARKER}={tag}".encode()
    found: dict[int, str] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if needle not in Path(entry.path, "environ").read_bytes().split(b"\0"):
                continue
            stat = Path(entry.path, "stat").read_text()
            if stat[stat.rindex(")") + 2] == "Z":  # exited, not yet reaped
                continue
            cmdline = Path(entry.path, "cmdline").read_bytes().decode(errors="replace").split("\0")
        except (OSError, ValueError):  # gone meanwhile, or not ours to read
            continue
        found[int(entry.name)] = kind([c for c in cmdline if c])
    return found


def wait_for(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll `condition()` until it returns something truthy; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what} (not within {timeout:g}s)"
        time.sleep(interval)


def wait_until_gone(tag: str, timeout: float) -> float:
    """Seconds until no process of the run is left; fails naming the survivors at the deadline."""
    start = time.monotonic()
    deadline = start + timeout
    while survivors := run_processes(tag):
        assert time.monotonic() < deadline, f"still alive after {timeout:g}s: {survivors}"
        time.sleep(0.05)
    return time.monotonic() - start


def kill_run(tag: str) -> None:
    """SIGKILL whatever of the run is still alive (cleanup after a failed assertion)."""
    for pid in run_processes(tag):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
