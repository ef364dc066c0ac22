"""Where the Pulumi engine is and the environment it runs in.

The CLI and language host come from `.tools/bin` (built by tools/build.sh); the
state lives in a local `file://` backend inside the project unless
PULUMI_BACKEND_URL says otherwise; secrets use the passphrase provider, with the
passphrase the caller sets (PULUMI_CONFIG_PASSPHRASE): there is no default. The
demo passphrase is named here, and used only where asked for explicitly (the demo
and the sample stacks: fleet/passphrase.py). Every
`pulumi` process we start dies with the process that started it
(`die_with_parent`), so a killed fleet or test run leaves no engine behind.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import sys
from pathlib import Path
from typing import Callable

from ...pulumi_facts import PACKAGE_ROOT
from ..state.buckets import redact_url  # noqa: F401 - re-exported: the one redaction of a backend URL
from ..state.buckets import file_backend_dir

PROJECT_ROOT = PACKAGE_ROOT
DEMO_PASSPHRASE = "cloudlink-demo"  # public (README): the demo and the sample stacks only


def tools_bin(root: Path = PROJECT_ROOT) -> Path:
    return root / ".tools" / "bin"


def pulumi_binary(root: Path = PROJECT_ROOT) -> str:
    local = tools_bin(root) / "pulumi"
    if local.exists():
        return str(local)
    found = shutil.which("pulumi")
    if not found:
        raise RuntimeError("the Pulumi engine is not built: run `make setup` (it builds .tools/bin/pulumi)")
    return found


def pulumi_env(root: Path = PROJECT_ROOT, backend_url: str | None = None,
               base: dict[str, str] | None = None, state_dir: Path | None = None) -> dict[str, str]:
    """The environment every pulumi invocation gets.

    The backend is `backend_url`, else PULUMI_BACKEND_URL, else `state_dir` (default `root/.state`).
    """
    env = dict(os.environ if base is None else base)
    venv_bin = Path(os.environ.get("VIRTUAL_ENV", root / ".venv")) / "bin"
    env["PATH"] = os.pathsep.join([str(tools_bin(root)), str(venv_bin), env.get("PATH", "")])
    env["PULUMI_BACKEND_URL"] = (backend_url or env.get("PULUMI_BACKEND_URL")
                                 or (state_dir or root / ".state").as_uri())
    env.setdefault("PULUMI_HOME", str(root / ".tools" / "pulumi-home"))
    env["PULUMI_SKIP_UPDATE_CHECK"] = "true"
    env["PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK"] = "true"
    env.setdefault("PULUMI_DIY_BACKEND_NO_LEGACY_WARNING", "true")
    state = file_backend_dir(env["PULUMI_BACKEND_URL"])
    if state is not None:
        state.mkdir(parents=True, exist_ok=True)
    return env


_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def die_with_parent() -> Callable[[], None] | None:
    """A `preexec_fn` that makes the child get SIGKILL when this process dies (Linux PR_SET_PDEATHSIG).

    The signal fires when the *thread* that started the child exits, so the
    child must be started by a thread that waits for it (as the gateway's
    `run_engine` does). If this process died before the prctl
    took effect, the child exits at once. None (nothing to do) off Linux.
    """
    if _libc is None:
        return None
    prctl, parent = _libc.prctl, os.getpid()

    def arm() -> None:  # runs in the forked child: nothing but two system calls
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)
    return arm


def fleet_env(project_dir: Path, backend_url: str | None = None,
              base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for a fleet over `project_dir`: this install's engine, state in
    `project_dir/.state` unless `backend_url` or PULUMI_BACKEND_URL names another DIY backend."""
    return pulumi_env(PROJECT_ROOT, backend_url=backend_url, base=base, state_dir=project_dir / ".state")


