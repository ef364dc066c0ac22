"""`make demo`: the main job on the embedded emulator, end to end, leaving nothing running.

Starts the emulator (state kept in `.emulator/demo.db`, so the demo's Pulumi
state in `.state/` stays consistent across runs), runs `pulumi up --refresh`
for every sample stack, runs it again to show the second run writes nothing and sends
no welcome email (the emulator's outbox counts them),
and prints a per-customer summary. Lives beside the CLI because it is the one
place allowed to start the emulator and drive the fleet together.
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
from rich.console import Console
from rich.table import Table

from .emulator.server import EmulatorServer
from .fleet.engine import PROJECT_ROOT, pulumi_env, run_pulumi
from .fleet.stacks import discover_stacks


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


def run_demo(port: int = 8787, root: Path = PROJECT_ROOT) -> None:
    console = Console()
    if not console.is_terminal:
        console = Console(width=max(console.width, 120))  # logs: room for the table
    stacks = discover_stacks(root / "stacks")
    if not stacks:
        raise DemoError(f"no sample stacks in {root / 'stacks'}")
    if not _port_free(port):
        raise DemoError(f"port {port} is in use; stop what listens there (the sample stacks expect the "
                        f"emulator at http://127.0.0.1:{port})")
    (root / ".emulator").mkdir(exist_ok=True)
    env = pulumi_env(root)
    rows = []
    emails_again = 0
    with EmulatorServer(str(root / ".emulator" / "demo.db"), port=port) as emulator, \
            httpx.Client(base_url=emulator.url, timeout=30) as http:
        console.print(f"[bold]CloudLink emulator[/] on {emulator.url}; state in {env['PULUMI_BACKEND_URL']}")
        for name in stacks:
            with console.status(f"{name}: pulumi up"):
                _ensure_stack(name, root, env)
                before = _emails(http)
                first = _up(name, root, env, refresh=True)
                sent = _emails(http)
                first_emails = sent - before
                http.delete("/_emulator/requests")
                second = _up(name, root, env, refresh=False)
                writes, second_emails = _writes(http), _emails(http) - sent
            outputs = json.loads(run_pulumi(["stack", "output", "--json", "--stack", name], root, env,
                                            check=True).stdout or "{}")
            users = outputs.get("users") or {}
            onboarded = f"{users['onboarded']} ({users['pending']} pending)" if users else "-"
            rows.append((name, _summary(first), _summary(second), writes, onboarded,
                         f"{first_emails} / {second_emails}"))
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


def _ensure_stack(name: str, root: Path, env: dict[str, str]) -> None:
    listed = run_pulumi(["stack", "ls", "--json"], root, env, check=True)
    if name not in {s["name"] for s in json.loads(listed.stdout or "[]")}:
        created = run_pulumi(["stack", "init", name], root, env)
        if created.returncode != 0:
            raise DemoError(f"{name}: pulumi stack init failed:\n{created.stderr}")


def _up(name: str, root: Path, env: dict[str, str], refresh: bool) -> dict[str, int]:
    args = ["up", "--yes", "--json", "--stack", name] + (["--refresh"] if refresh else [])
    result = run_pulumi(args, root, env)
    if result.returncode != 0:
        raise DemoError(f"{name}: pulumi up failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return _changes(result.stdout)


def _changes(stdout: str) -> dict[str, int]:
    """The summary event's resource changes from `pulumi up --json` (a stream of engine events)."""
    for line in reversed(stdout.splitlines()):
        if '"summaryEvent"' in line:
            return json.loads(line)["summaryEvent"].get("resourceChanges", {})
    return {}


def _summary(changes: dict[str, int]) -> str:
    return ", ".join(f"{n} {op}" for op, n in sorted(changes.items())) or "-"
