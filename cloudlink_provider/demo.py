"""`make demo`: the main job on the embedded emulator, end to end, leaving nothing running.

Starts the emulator on the database `cloudlink emulator serve` also uses by default
(`.emulator/cloudlink.db`, kept across runs, so the demo's Pulumi state in `.state/`
and the README's "Working with stacks by hand" see the same customers), runs `up
--refresh` for every sample stack through the fleet's one engine runner, runs it
again to show the second run writes nothing and sends no welcome email (the
emulator's outbox counts them), and prints a per-customer summary.
Lives beside the CLI because it is the one place allowed to start the emulator
and drive the fleet together.
"""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from typing import TYPE_CHECKING

from .fleet.engine.env import PROJECT_ROOT
from .fleet.errors import FleetError
from .fleet.stacks import discover_stacks

if TYPE_CHECKING:  # the engine runner is imported when the demo runs, not whenever the CLI starts
    from .fleet.commands.run import RunOptions, StackRun
    from .fleet.engine.gateway import Project

EMULATOR_DB = ".emulator/cloudlink.db"  # relative to the project: `make demo` and `cloudlink emulator serve`


class DemoError(Exception):
    pass


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


def _writes(http: httpx.Client) -> int:
    return http.get("/_emulator/requests").json()["writes"]  # the emulator's one definition of a write


def _emails(http: httpx.Client) -> int:
    """How many emails (welcome emails) the emulator has sent so far: its outbox."""
    return int(http.get("/_emulator/outbox").json()["count"])


def run_demo(port: int = 8787, root: Path = PROJECT_ROOT, console: Console | None = None) -> None:
    from .emulator.server import EmulatorServer
    from .fleet.commands.run import RunOptions
    from .fleet.engine.gateway import Project

    console = console or Console()
    stacks = discover_stacks(root / "stacks")
    if not stacks:
        raise DemoError(f"no sample stacks in {root / 'stacks'}")
    if not _port_free(port):
        raise DemoError(f"port {port} is in use; stop what listens there (the sample stacks expect the "
                        f"emulator at http://127.0.0.1:{port})")
    try:
        project = Project(root)
    except FleetError as e:
        raise DemoError(str(e)) from None
    from .fleet.passphrase import demo_env

    project.env = demo_env(project.env)  # the sample stacks' published passphrase, asked for explicitly
    db = root / EMULATOR_DB
    db.parent.mkdir(exist_ok=True)
    rows = []
    emails_again = 0
    with EmulatorServer(str(db), port=port) as emulator, httpx.Client(base_url=emulator.url, timeout=30) as http:
        console.print(f"[bold]CloudLink emulator[/] on {emulator.url} (database {EMULATOR_DB}); "
                      f"state in {project.backend_url}")
        for name in stacks:
            with console.status(f"{name}: up"):
                before = _emails(http)
                first = _up(project, name, RunOptions("up", parallel=1, refresh=True))
                sent = _emails(http)
                http.delete("/_emulator/requests")
                second = _up(project, name, RunOptions("up", parallel=1))
                writes, second_emails = _writes(http), _emails(http) - sent
            users = project.outputs(name).get("users")  # from the checkpoint the second `up` wrote
            onboarded = f"{users['onboarded']} ({users['pending']} pending)" if users else "-"
            rows.append((name, _summary(first), _summary(second), writes, onboarded,
                         f"{sent - before} / {second_emails}"))
            emails_again = emails_again or second_emails
            console.print(f"[green]✓[/] {name}")
    table = Table(title="Customers deployed to the emulator")
    for column in ("stack", "1st run", "2nd run", "2nd-run writes", "users", "emails 1st/2nd"):
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*[str(c) for c in row])
    console.print(table)
    if any(r[3] for r in rows):
        raise DemoError("a second run wrote to CloudLink: the deployment is not idempotent")
    if emails_again:
        raise DemoError("a second run sent welcome emails again: user onboarding is not idempotent")
    console.print("Second runs made no changes and sent no email. The emulator has stopped; state is in .state/ "
                  "and .emulator/.")


def _up(project: Project, name: str, options: RunOptions) -> StackRun:
    from .fleet.commands.run import failure, run_operation

    done = run_operation(project, name, options)
    if done.error is not None:
        raise DemoError(f"{name}: up failed: {failure(done.error, done.collector, name)[0]}")
    return done


def _summary(done: StackRun) -> str:
    counts = done.collector.counts()
    return ", ".join(f"{n} {op}" for op, n in counts.items() if n) or "-"
