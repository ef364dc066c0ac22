"""Runs killed (SIGKILL of the engine and the fleet) at many points, then the README's recovery: `cloudlink fleet
recover`, `up`, `drift`. Every time: exit codes as documented, no duplicate, no orphan, a clean drift.

Kills land mid-operation because the test waits for an observable condition that only holds while the
operation is under way (the engine's lock plus a journal entry), with the emulator holding that operation
open: a delayed answer, a slow PBX connect. The half-written state write is simulated exactly as gocloud's
fileblob leaves it (an empty `<stack>.json.attrs`, a `.tmp` beside it), since a real kill cannot hit that
window reliably.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

import pytest

from cloudlink_provider.fleet.engine.env import DEMO_PASSPHRASE, PROJECT_ROOT, pulumi_env
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from cloudlink_provider.fleet.stacks import StackFile
from testkit.fleet_project import CLOUDLINK, SAMPLE, check, fleet, fleet_env, lock_files, make_project, write_stack
from .test_fleet_postgres import postgres  # noqa: F401 - the PostgreSQL server fixture

pytestmark = pytest.mark.e2e

ADMIN = "/admin/2017-09-01/accounts"
GW = "/gateway/2017-09-01/accounts"


def spec(n: int) -> dict[str, Any]:
    return {"account": {"name": f"Killed {n}"},
            "gateway": {"serialNumber": f"CLGW-KILL-000{n}", "type": "virtual", "name": "DC"},
            "pbx": {"type": "mivoice-5000", "host": f"pbx{n}.killed.example", "port": 443, "username": "cl"},
            "roles": [{"extension": "2001", "role": "CTI"}]}


def add_stack(project: Path, name: str, n: int, endpoint: str) -> None:
    write_stack(project, name, spec(n), endpoint)
    file = StackFile(project / "stacks", name)
    data = file.load()
    data["config"]["cloudlink-fleet:pbxPassword"] = SAMPLE.config()["cloudlink-fleet:pbxPassword"]  # same passphrase
    file.save(data)


def wait_for(condition: Callable[[], bool], proc: subprocess.Popen, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert proc.poll() is None, f"the run ended before {what}:\n{proc.stdout.read() if proc.stdout else ''}"
        assert time.monotonic() < deadline, f"no {what} within {timeout}s"
        time.sleep(0.02)


def engine_pid(project: Path, stack: str) -> int | None:
    for path in lock_files(project):
        if path.parent.name == stack:
            try:
                return int(json.loads(path.read_text())["pid"])
            except (OSError, ValueError, KeyError):
                return None
    return None


def process_tree(root: int) -> list[int]:
    """`root` and every process below it (from /proc), parents first."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, queue = [], [root]
    while queue:
        pid = queue.pop(0)
        tree.append(pid)
        queue += children.get(pid, [])
    return tree


def kill_mid_run(project: Path, args: list[str], stack: str, condition: Callable[[], bool], what: str,
                 env: dict[str, str] | None = None, locked: Callable[[], bool] | None = None) -> None:
    """Start `cloudlink fleet <args>`, wait until `condition` holds while the stack's engine holds its lock,
    then SIGKILL the fleet, the engine and every process they started, at once, as a dying CI runner would
    (a survivor, such as a provider still retrying its last call, would change CloudLink behind recovery's back)."""
    proc = subprocess.Popen([CLOUDLINK, "fleet", *args, "--stacks", stack, "--project-dir", str(project)],
                            env=env or fleet_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    locked = locked or (lambda: engine_pid(project, stack) is not None)
    try:
        wait_for(lambda: locked() and condition(), proc, what)
        for victim in process_tree(proc.pid):  # the fleet, its engines (own sessions, same parent) and theirs
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=60)
    assert locked(), "the kill left no lock: it did not land mid-operation"


def engine_env(project: Path) -> dict[str, str]:
    env = pulumi_env(PROJECT_ROOT, state_dir=project / ".state", base=fleet_env())
    env["PULUMI_CONFIG_PASSPHRASE"] = DEMO_PASSPHRASE
    return env


def outputs(project: Path, stack: str) -> dict[str, Any]:
    done = run_pulumi(["stack", "output", "--json", "--stack", stack], project, engine_env(project))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def assert_clean(api, project: Path, stack: str, n: int) -> None:
    """Up, then drift: exit 0 each; exactly one of every object, and it is the one the state holds."""
    check(fleet(project, "up", "--stacks", stack), 0)
    check(fleet(project, "drift", "--stacks", stack), 0)
    out = outputs(project, stack)
    accounts = api.http.get(ADMIN, params={"$filter": f"name eq 'Killed {n}'"}).json()["_embedded"]["items"]
    assert [a["accountId"] for a in accounts] == [out["accountId"]]  # no duplicate, no orphan account
    gateways = api.http.get(f"{GW}/{out['accountId']}/gateways").json()["_embedded"]["items"]
    assert [g["gatewayId"] for g in gateways] == [out["gatewayId"]]  # no duplicate, no orphan gateway
    assert api.http.get(f"{GW}/{out['accountId']}/gateways/{out['gatewayId']}/pbx-link").status_code == 200
    assert api.http.get(f"{GW}/{out['accountId']}/pbx/roles/2001").json()["role"] == "CTI"
    assert lock_files(project) == []


def recover(project: Path, stack: str) -> subprocess.CompletedProcess[str]:
    done = check(fleet(project, "recover", "--stacks", stack), 0)
    assert f"next: .venv/bin/cloudlink fleet up --stacks '{stack}'" in done.stdout
    return done


def writes(api) -> list[dict[str, Any]]:
    return [r for r in api.writes() if r["status"] and r["status"] < 400]


def test_killed_runs_are_recovered_at_every_point(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url)
    for n in (1, 2, 3, 4):
        add_stack(project, f"killed-{n}", n, emulator.url)

    # 1. before the first create: the program is up (it has its token) and its first write is held back
    api.http.post("/_emulator/faults", json={"method": "POST", "path_contains": "/accounts", "status": 503,
                                            "delay_s": 60, "remaining": 1})
    api.clear_journal()
    kill_mid_run(project, ["up"], "killed-1",
                 lambda: any(r["service"] == "authentication" for r in api.journal()), "token request")
    assert writes(api) == []
    api.http.delete("/_emulator/faults")
    # the next run releases a lock whose engine died on this host by itself; no recover needed
    up = check(fleet(project, "up", "--stacks", "killed-1", "--json", str(tmp_path / "up1.json")), 0)
    assert json.loads((tmp_path / "up1.json").read_text())["releasedLocks"] == ["killed-1"], up.stdout
    assert_clean(api, project, "killed-1", 1)

    # 2. mid-create: the PBX link is created and the engine waits for it to connect
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 600})
    api.clear_journal()
    kill_mid_run(project, ["up"], "killed-2",
                 lambda: any(r["method"] == "POST" and r["path"].endswith("/pbx-link") for r in api.journal()),
                 "PBX link create")
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0.2})
    done = recover(project, "killed-2")
    assert "released the lock of the dead engine" in done.stdout and "pending operation" in done.stdout
    assert_clean(api, project, "killed-2", 2)

    # 3. mid-state-write, as fileblob leaves it; plus a torn checkpoint Pulumi's .bak restores
    check(fleet(project, "up", "--stacks", "killed-3"), 0)
    stacks_dir = project / ".state" / ".pulumi" / "stacks" / "cloudlink-fleet"
    (stacks_dir / "killed-3.json.attrs").write_text("")
    (stacks_dir / "killed-3.json.18f3a2b4c5d6e7f8.tmp").write_text('{"version": 3, "checkp')
    assert "EOF" in run_pulumi(["stack", "export", "--stack", "killed-3"], project, engine_env(project)).stderr
    done = recover(project, "killed-3")
    assert "removed the half-written .pulumi/stacks/cloudlink-fleet/killed-3.json.attrs" in done.stdout
    assert "removed the unfinished write" in done.stdout
    checkpoint = stacks_dir / "killed-3.json"
    checkpoint.write_bytes(checkpoint.read_bytes()[:200])
    done = recover(project, "killed-3")
    assert "restored the damaged .pulumi/stacks/cloudlink-fleet/killed-3.json" in done.stdout
    assert_clean(api, project, "killed-3", 3)

    # 4. during destroy: the roles are gone, the PBX link's delete is under way
    check(fleet(project, "up", "--stacks", "killed-4"), 0)
    api.http.post("/_emulator/faults", json={"method": "DELETE", "path_contains": "/pbx-link", "status": None,
                                            "delay_s": 60, "after": True, "remaining": 1})
    api.clear_journal()
    kill_mid_run(project, ["destroy", "--yes"], "killed-4",
                 lambda: any(r["method"] == "DELETE" and "/pbx/roles/" in r["path"] for r in api.journal()),
                 "role delete")
    api.http.delete("/_emulator/faults")
    recover(project, "killed-4")
    assert_clean(api, project, "killed-4", 4)

    # nothing is left for recover to do anywhere
    done = check(fleet(project, "recover"), 0)
    assert "nothing to recover" in done.stdout and "released" not in done.stdout


def pg_locks(postgres) -> list[str]:
    """Lock keys in the PostgreSQL backend's table (none before the engine first creates the table)."""
    try:
        return [k for k in postgres.query("SELECT key FROM pulumi_state") if "/locks/" in k]
    except RuntimeError:
        return []


def test_a_run_killed_mid_create_on_postgresql_is_recovered(tmp_path, emulator, api, postgres):
    project = make_project(tmp_path / "project", emulator.url)
    add_stack(project, "killed-pg", 5, emulator.url)
    env = fleet_env({"PULUMI_BACKEND_URL": postgres.url()})
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 600})
    kill_mid_run(project, ["up"], "killed-pg",
                 lambda: any(r["method"] == "POST" and r["path"].endswith("/pbx-link") for r in api.journal()),
                 "PBX link create", env=env,
                 locked=lambda: pg_locks(postgres) != [])
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0.2})
    done = subprocess.run([CLOUDLINK, "fleet", "recover", "--stacks", "killed-pg", "--project-dir", str(project)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "released the lock of the dead engine" in done.stdout and "pending operation" in done.stdout
    assert pg_locks(postgres) == []
    check(fleet(project, "up", "--stacks", "killed-pg", env=env), 0)
    # the engine's own drift check: the scan's PostgreSQL reader misses this backend's key prefix (reported)
    check(fleet(project, "drift", "--engine", "--stacks", "killed-pg", env=env), 0)
    accounts = api.http.get(ADMIN, params={"$filter": "name eq 'Killed 5'"}).json()["_embedded"]["items"]
    assert len(accounts) == 1
    gateways = api.http.get(f"{GW}/{accounts[0]['accountId']}/gateways").json()["_embedded"]["items"]
    assert len(gateways) == 1
