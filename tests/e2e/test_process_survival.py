"""No process outlives its engine (issue 9): kill an engine mid-operation, and within a few seconds
nothing of that run is left and CloudLink hears nothing more from it.

Each run carries a marker in its environment (tests/e2e/processes.py finds its processes by it in
/proc). The emulator keeps every PBX link CONNECTING, so each engine is mid-`up`, its provider
polling CloudLink, when it is killed: the engine alone, the engine's process group, or the fleet
process that started the engines (alone, or its group) — each with SIGKILL, as a dying CI runner
does it. Then no engine, language host, program or provider of the run may remain, and the
request journal must stay silent.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest

from cloudlink_provider.fleet.engine.env import pulumi_binary
from cloudlink_provider.fleet.state.buckets import file_backend_dir
from cloudlink_provider.fleet.stacks import StackFile
from testkit.fleet_project import CLOUDLINK, SAMPLE, fleet_env, make_project, write_stack
from testkit.processes import kill_run, marked, new_tag, run_processes, wait_for, wait_until_gone

pytestmark = pytest.mark.e2e

GONE_WITHIN_S = 5.0  # the plugins check on their engine every second
QUIET_FOR_S = 4.0    # longer than the provider's longest pause between two PBX polls (2 s)
PLUGINS = {"language host", "program", "provider shim", "provider"}


def spec(i: int) -> dict:
    return {"account": {"name": f"Survivor {i:02d}"},
            "gateway": {"serialNumber": f"CLGW-SURV-{i:04d}", "type": "virtual", "name": "DC"},
            "pbx": {"type": "mx-one", "host": f"pbx{i}.survivor.example", "port": 443, "username": "cl"}}


def polling(api) -> int:
    """How many PBX-link polls the emulator has answered."""
    return sum(1 for r in api.journal() if r["method"] == "GET" and r["path"].endswith("/pbx-link"))


def mid_operation(api, tag: str, engines: int):
    """Every engine of the run is mid-`up`: its provider is polling a CONNECTING PBX link."""
    def ready():
        kinds = sorted(run_processes(tag).values())
        return (kinds.count("provider") >= engines and kinds.count("language host") >= engines
                and polling(api) >= engines and kinds)
    return wait_for(ready, 120, f"{engines} engine(s) polling the PBX link")


def assert_quiet(api, since: float) -> None:
    """Nothing reaches the emulator after `since` (wall clock), watched for QUIET_FOR_S."""
    deadline = time.monotonic() + QUIET_FOR_S
    while time.monotonic() < deadline:
        late = [r for r in api.journal() if r["at"] > since]
        assert late == [], f"CloudLink still hears from the killed run: {late}"
        time.sleep(0.2)


def kill_and_watch(api, tag: str, kill) -> dict[str, float]:
    killed_at = time.time()
    kill()
    took = wait_until_gone(tag, GONE_WITHIN_S)
    gone_at = time.time()
    in_flight = sum(1 for r in api.journal() if killed_at < r["at"] <= gone_at)
    assert_quiet(api, gone_at)
    print(f"\nlast process gone {took:.2f}s after the kill; {in_flight} request(s) completed meanwhile")
    return {"seconds": took, "in_flight": in_flight}


def sigkill(proc: subprocess.Popen, group: bool) -> None:
    """SIGKILL the process (or its whole process group), as a dying CI runner does, and reap it."""
    if group:
        os.killpg(proc.pid, signal.SIGKILL)
    else:
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


def end(proc: subprocess.Popen, tag: str) -> None:
    """Whatever the test's outcome, nothing of this run outlives it."""
    if proc.poll() is None:
        proc.kill()
        proc.wait()
    kill_run(tag)


@pytest.mark.parametrize("target", ["engine", "engine's process group"])
def test_killing_the_engine_ends_its_plugins(target, new_stack, api, project, engine_env):
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 600})
    stack = new_stack("doomed").init(spec(1), secrets={"pbxPassword": "pw"})
    tag = new_tag()
    engine = subprocess.Popen([pulumi_binary(), "up", "--yes", "--skip-preview", "--non-interactive",
                               "--stack", "doomed"], cwd=project, env=marked(engine_env, tag),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        before = mid_operation(api, tag, engines=1)
        assert set(before) >= {"engine"} | PLUGINS, before

        kill_and_watch(api, tag, lambda: sigkill(engine, group=target != "engine"))
    finally:
        end(engine, tag)
    # it really died mid-up: the lock it held is still in the backend (the next fleet run would release it)
    state = file_backend_dir(engine_env["PULUMI_BACKEND_URL"])
    assert [p for p in state.rglob("*.json") if ".pulumi/locks/" in p.as_posix() and p.parent.name == "doomed"]


@pytest.mark.parametrize("target", ["fleet", "fleet's process group"])
def test_killing_the_fleet_ends_its_engines_and_their_plugins(target, tmp_path, emulator, api):
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 600})
    project = make_project(tmp_path / "project", emulator.url)
    password = SAMPLE.config()["cloudlink-fleet:pbxPassword"]
    for i in (1, 2):
        write_stack(project, f"survivor-{i}", spec(i), emulator.url)
        file = StackFile(project / "stacks", f"survivor-{i}")
        data = file.load()
        data["config"]["cloudlink-fleet:pbxPassword"] = password
        file.save(data)
    tag = new_tag()
    fleet = subprocess.Popen([CLOUDLINK, "fleet", "up", "--parallel", "2", "--project-dir", str(project)],
                             env=marked(fleet_env(), tag), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             start_new_session=True)
    try:
        before = mid_operation(api, tag, engines=2)
        assert before.count("engine") == 2 and "fleet" in before and set(before) >= PLUGINS, before

        kill_and_watch(api, tag, lambda: sigkill(fleet, group=target != "fleet"))
    finally:
        end(fleet, tag)
