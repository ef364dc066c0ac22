"""Failed and interrupted runs leave no duplicates or orphans; upgrades of our code stay quiet."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cloudlink_provider.fleet.engine.env import PROJECT_ROOT, pulumi_binary
from testkit.processes import marked, new_tag, wait_until_gone

pytestmark = pytest.mark.e2e

GW = "/gateway/2017-09-01/accounts"
SPEC = {"account": {"name": "Resilient Co"},
        "gateway": {"serialNumber": "CLGW-RES-0001", "type": "virtual", "name": "DC"},
        "pbx": {"type": "mx-one", "host": "pbx.resilient.example", "port": 443, "username": "cl"},
        "roles": [{"extension": "2001", "role": "USER"}]}


def count_accounts(api, name: str) -> int:
    return api.http.get("/admin/2017-09-01/accounts", params={"$filter": f"name eq '{name}'"}).json()["count"]


def gateways(api, name: str) -> int:
    """How many gateways the account called `name` has (0 while there is no such account)."""
    found = api.http.get("/admin/2017-09-01/accounts", params={"$filter": f"name eq '{name}'"}).json()
    items = (found.get("_embedded") or {}).get("items") or []
    return api.http.get(f"{GW}/{items[0]['accountId']}/gateways").json()["count"] if items else 0


def test_failed_up_converges_on_the_next_run(new_stack, api):
    api.http.post("/_emulator/faults", json={"method": "POST", "path_contains": "/pbx-link", "status": 503})
    stack = new_stack("fails").init(SPEC, secrets={"pbxPassword": "pw"})
    failed = stack.up(ok=False)
    assert failed.returncode != 0 and "ServiceUnavailable" in failed.stdout  # the 503, in CloudLink's words
    api.http.delete("/_emulator/faults")
    stack.up()
    acct = stack.outputs()["accountId"]
    assert count_accounts(api, "Resilient Co") == 1
    assert api.http.get(f"{GW}/{acct}/gateways").json()["count"] == 1
    assert api.http.get(f"{GW}/{acct}/pbx/roles/2001").status_code == 200
    api.clear_journal()
    stack.up()
    assert api.writes() == []


def test_lost_responses_are_adopted_everywhere(new_stack, api):
    for path in ("/accounts", "/gateways", "/pbx-link", "/integrations"):
        api.http.post("/_emulator/faults", json={"method": "POST", "path_contains": path, "after": True,
                                                "drop": True, "remaining": 1})
    spec = {**SPEC, "pbx": {**SPEC["pbx"], "type": "mivoice-business"}, "roles": [],
            "teams": {"tenantId": "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
                      "clientId": "3f2e1d0c-9b8a-4765-8432-10fedcba9876"}}
    stack = new_stack("lossy").init(spec, secrets={"pbxPassword": "pw", "teamsClientSecret": "s"})
    stack.up()
    assert [f for f in api.http.get("/_emulator/faults").json() if f["remaining"]] == []  # every fault fired
    acct = stack.outputs()["accountId"]
    assert count_accounts(api, "Resilient Co") == 1
    assert api.http.get(f"{GW}/{acct}/gateways").json()["count"] == 1
    assert api.http.get(f"/integrations/2017-09-01/accounts/{acct}/integrations").json()["count"] == 1
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0


def test_interrupted_up_converges(new_stack, api, project, engine_env):
    # Slow the gateway create down so the run can be killed while it is in flight.
    api.http.post("/_emulator/faults", json={"method": "POST", "path_contains": "/gateways", "status": None,
                                            "delay_s": 5, "after": True, "probability": 1.0, "remaining": 1})
    stack = new_stack("killed").init(SPEC, secrets={"pbxPassword": "pw"})
    tag = new_tag()
    proc = subprocess.Popen([pulumi_binary(), "up", "--yes", "--skip-preview", "--non-interactive",
                             "--stack", "killed"], cwd=project, env=marked(engine_env, tag),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    # The emulator has made the gateway but holds its answer back (5 s): the create is in flight.
    while not gateways(api, "Resilient Co"):
        assert proc.poll() is None and time.monotonic() < deadline, "the run never reached the gateway create"
        time.sleep(0.05)
    assert not any(r["method"] == "POST" and "/gateways" in r["path"] for r in api.journal())  # not answered yet
    os.killpg(proc.pid, signal.SIGKILL)  # as abrupt as a CI runner dying
    proc.wait(timeout=30)
    wait_until_gone(tag, 5)  # its language host and provider end with it (test_process_survival.py)
    api.http.delete("/_emulator/faults")
    # A killed engine leaves its lock and a pending create behind: the documented recovery is
    # `cloudlink fleet recover` (the dead run's lock, its pending creates), then `up`.
    locked = stack.pulumi("up", "--yes", "--skip-preview", ok=False)  # the bare CLI: locked, and it says so
    assert locked.returncode != 0 and "the stack is currently locked" in locked.stderr + locked.stdout
    recovered = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "cloudlink"), "fleet", "recover", "--stacks",
                                "killed", "--project-dir", str(project)], env=engine_env, capture_output=True,
                               text=True, timeout=300)
    assert recovered.returncode == 0, recovered.stdout + recovered.stderr
    assert "released the lock of the dead engine" in recovered.stdout and "pending" in recovered.stdout
    stack.up()
    acct = stack.outputs()["accountId"]
    assert count_accounts(api, "Resilient Co") == 1
    assert api.http.get(f"{GW}/{acct}/gateways").json()["count"] == 1  # the in-flight gateway was adopted
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0


def test_upgrading_our_package_makes_no_provider_diffs(new_stack, api, tmp_path, engine_env):
    stack = new_stack("upgrade").init(SPEC, secrets={"pbxPassword": "pw"})
    stack.up()
    before = json.dumps(stack.export()["deployment"]["resources"], sort_keys=True)

    # A "newer version" of our package: same modules, changed provider code, earlier on the path.
    newer = tmp_path / "newer"
    shutil.copytree(PROJECT_ROOT / "cloudlink_provider", newer / "cloudlink_provider")
    account_py = newer / "cloudlink_provider" / "resources" / "account.py"
    marker = tmp_path / "newer-code-ran"
    account_py.write_text(account_py.read_text() + "\n\ndef added_in_a_newer_version():\n    return 2\n\n\n"
                          f"__import__('pathlib').Path({str(marker)!r}).write_text('loaded')\n")
    stack.env = {**engine_env, "PYTHONPATH": str(newer)}
    api.clear_journal()
    result = stack.preview("--diff")
    assert marker.exists()  # the newer code is what ran
    assert "__provider" not in result.stdout
    assert "to update" not in result.stdout and "to replace" not in result.stdout
    stack.up()
    assert api.writes() == []
    after = json.dumps(stack.export()["deployment"]["resources"], sort_keys=True)
    provider_blobs = lambda s: [r.get("inputs", {}).get("__provider") for r in json.loads(s)]  # noqa: E731
    assert provider_blobs(before) == provider_blobs(after)
