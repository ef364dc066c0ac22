"""A partner's first day with real customers (issue 15): the failure paths, as a newcomer meets them.

The real CLI, the real engine and a live emulator, as in test_fleet.py: a stack file
pointed at nothing, a wrong client secret, one bad customer among good ones, a
stack whose state kept a broken endpoint. Each must fail loudly, in one line that
says what to check where, and never read as "unchanged".
"""

from __future__ import annotations

import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cloudlink_provider.fleet.engine.env import DEMO_PASSPHRASE, pulumi_env
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from cloudlink_provider.fleet.state.secrets import Passphrase
from cloudlink_provider.fleet.stacks import StackFile

from testkit.fleet_project import check, fleet, fleet_env, generated, make_project

pytestmark = pytest.mark.e2e

ADMIN = "/admin/2017-09-01/accounts"


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rows(path: Path) -> dict[str, dict[str, Any]]:
    return {s["stack"]: s for s in json.loads(path.read_text())["stacks"]}


def set_endpoint(project: Path, stack: str, endpoint: str) -> None:
    file = StackFile(project / "stacks", stack)
    data = file.load()
    data["config"]["cloudlink:endpoint"] = endpoint
    file.save(data)


def set_client_secret(project: Path, stack: str, secret: str) -> None:
    file = StackFile(project / "stacks", stack)
    data = file.load()
    data["config"]["cloudlink:clientSecret"] = {"secure": Passphrase(DEMO_PASSPHRASE).encrypt(data["encryptionsalt"],
                                                                                              secret)}
    file.save(data)


def state_endpoints(project: Path, stack: str) -> set[str]:
    """Every endpoint the stack's state holds (the default provider's saved config)."""
    env = {**pulumi_env(backend_url=(project / ".state").as_uri()), "PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE}
    done = run_pulumi(["stack", "export", "--stack", stack], project, env)
    assert done.returncode == 0, done.stderr
    found = set()
    for res in json.loads(done.stdout)["deployment"].get("resources") or []:
        endpoint = (res.get("inputs") or {}).get("cloudlink:endpoint")
        if endpoint:
            found.add(endpoint)
    return found


def test_a_wrong_endpoint_or_secret_fails_every_command_in_one_line_and_saves_nothing(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url, generated(2))
    check(fleet(project, "up"), 0)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    set_endpoint(project, "customer-002", nowhere)
    out = tmp_path / "reports"

    for command in (["preview"], ["up"], ["refresh"], ["drift"], ["drift", "--engine"]):
        name = "-".join(command).replace("--", "")
        result = check(fleet(project, *command, "--json", str(out / f"{name}.json"),
                             "--markdown", str(out / f"{name}.md")), 1)
        stacks = rows(out / f"{name}.json")
        assert stacks["customer-001"]["status"] != "failed", (command, stacks["customer-001"])
        bad = stacks["customer-002"]
        assert bad["status"] == "failed", (command, bad)
        assert nowhere in bad["error"] and "connection refused" in bad["error"], bad["error"]
        assert "cloudlink:endpoint in stacks/Pulumi.customer-002.yaml" in bad["error"]
        assert "connection refused" in result.stdout and "unchanged" not in bad["error"]
        assert "customer-002" in (out / f"{name}.md").read_text()
    assert state_endpoints(project, "customer-002") == {emulator.url}  # the failed runs saved nothing

    # a wrong client secret: a 401 on the token grant, named as such, for up as for preview
    set_endpoint(project, "customer-002", emulator.url)
    set_client_secret(project, "customer-002", "not-the-secret")
    for command in ("preview", "up"):
        check(fleet(project, command, "--json", str(out / "secret.json")), 1)
        bad = rows(out / "secret.json")["customer-002"]
        assert bad["status"] == "failed" and "401" in bad["error"], bad
        assert "cloudlink:clientId and cloudlink:clientSecret in stacks/Pulumi.customer-002.yaml" in bad["error"]
        assert "not-the-secret" not in (out / "secret.json").read_text()


def test_destroy_uses_the_stack_files_endpoint_not_the_one_a_plain_up_saved(tmp_path, emulator, api):
    """A plain `pulumi up` (not the fleet) saved a broken endpoint in the state; the file is fixed: destroy works."""
    project = make_project(tmp_path / "project", emulator.url, generated(1))
    check(fleet(project, "up"), 0)
    nowhere = f"http://127.0.0.1:{closed_port()}"
    set_endpoint(project, "customer-001", nowhere)
    env = {**pulumi_env(backend_url=(project / ".state").as_uri()), "PULUMI_CONFIG_PASSPHRASE": DEMO_PASSPHRASE}
    plain = run_pulumi(["up", "--yes", "--stack", "customer-001"], project, env)
    assert plain.returncode == 0, plain.stderr  # Pulumi's own behaviour: nothing to do, the config saved
    assert state_endpoints(project, "customer-001") == {nowhere}

    set_endpoint(project, "customer-001", emulator.url)  # the partner fixes the file
    check(fleet(project, "destroy", "--yes", "--json", str(tmp_path / "destroy.json")), 0)
    assert rows(tmp_path / "destroy.json")["customer-001"]["status"] == "changed"
    names = {a["name"] for a in api.http.get(ADMIN, params={"$top": 500}).json()["_embedded"]["items"]}
    assert "Customer 001" not in names


def test_one_unreachable_customer_never_costs_the_drift_report(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url, generated(2))
    check(fleet(project, "up"), 0)
    account = {a["name"]: a for a in api.http.get(ADMIN, params={"$top": 500}).json()["_embedded"]["items"]}
    assert api.http.put(f"{ADMIN}/{account['Customer 001']['accountId']}", json={"domain": "changed.example"}).status_code == 200
    set_endpoint(project, "customer-002", f"http://127.0.0.1:{closed_port()}")

    result = check(fleet(project, "drift", "--json", str(tmp_path / "drift.json"),
                         "--markdown", str(tmp_path / "drift.md")), 1)
    stacks = rows(tmp_path / "drift.json")
    assert stacks["customer-001"]["status"] == "drifted" and stacks["customer-002"]["status"] == "failed"
    assert "customer-001" in result.stdout and "drifted" in result.stdout
    assert "changed.example" in (tmp_path / "drift.md").read_text()


def test_import_refuses_without_a_passphrase(tmp_path, emulator):
    project = make_project(tmp_path / "project", emulator.url)
    env = fleet_env({"CLOUDLINK_ENDPOINT": emulator.url, "CLOUDLINK_CLIENT_ID": "demo-partner",
                     "CLOUDLINK_CLIENT_SECRET": "demo-partner-secret"})
    del env["PULUMI_CONFIG_PASSPHRASE"]
    result = check(fleet(project, "import", "--all", env=env), 2)
    assert "set PULUMI_CONFIG_PASSPHRASE" in result.stderr
    assert list((project / "stacks").glob("Pulumi.*.yaml")) == []


def test_a_second_import_of_the_same_account_is_refused_and_a_second_gateway_is_not_reimported(tmp_path, emulator,
                                                                                                 api):
    account = api.http.post(ADMIN, json={"name": "Delta Care", "domain": "delta.example",
                                         "languageCode": "en-GB"}).json()["accountId"]
    for serial, name in (("CLGW-DELTA-0001", "Main"), ("CLGW-DELTA-0002", "Annex")):
        made = api.http.post(f"/gateway/2017-09-01/accounts/{account}/gateways",
                             json={"serialNumber": serial, "type": "VIRTUAL", "name": name})
        assert made.status_code == 201, made.text
    project = make_project(tmp_path / "project", emulator.url)
    env = fleet_env({"CLOUDLINK_ENDPOINT": emulator.url, "CLOUDLINK_CLIENT_ID": "demo-partner",
                     "CLOUDLINK_CLIENT_SECRET": "demo-partner-secret"})
    first = check(fleet(project, "import", "--account-id", account, env=env), 0)
    assert "2 gateways" in " ".join(first.stderr.split())
    again = check(fleet(project, "import", "--account-id", account, "--name", "delta-second", env=env), 2)
    assert "already managed by stack delta-care (stacks/Pulumi.delta-care.yaml)" in " ".join(again.stderr.split())
    assert not (project / "stacks" / "Pulumi.delta-second.yaml").exists()

    check(fleet(project, "up", env=env), 0)
    check(fleet(project, "drift", "--json", str(tmp_path / "drift.json"), env=env), 0)
    [extra] = [u for u in json.loads((tmp_path / "drift.json").read_text())["unmanaged"] if u["kind"] == "gateway"]
    assert extra["importCommand"] is None
    assert extra["adoptWith"].startswith("none: a stack manages one gateway today, so this one stays unmanaged")


def test_the_readmes_new_customer_recipe_works_off_a_terminal(tmp_path, emulator, api):
    """The README's "A new customer, off a terminal", as written, run by bash with no terminal."""
    from cloudlink_provider.fleet.engine.env import PROJECT_ROOT

    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme.split("### A new customer, off a terminal", 1)[1]
    script = section.split("```bash\n", 1)[1].split("```", 1)[0]
    recipe = script.split("# the new customer\n", 1)[1]  # the lines before set up the shell: done here
    project = make_project(tmp_path / "project", emulator.url)
    (project / "passphrase").write_text("a-partner-passphrase\n")
    (project / ".state").mkdir()  # what the recipe's shell set-up lines do
    env = fleet_env({"PULUMI_CONFIG_PASSPHRASE_FILE": str(project / "passphrase"),
                     "PATH": f"{PROJECT_ROOT / '.tools' / 'bin'}:/usr/bin:/bin",
                     "PULUMI_BACKEND_URL": (project / ".state").as_uri(), "CLOUDLINK_ENDPOINT": emulator.url,
                     "CLOUDLINK_CLIENT_ID": "demo-partner", "CLOUDLINK_CLIENT_SECRET": "demo-partner-secret"})
    del env["PULUMI_CONFIG_PASSPHRASE"]
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", recipe], cwd=project, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, f"--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    names = {a["name"] for a in api.http.get(ADMIN, params={"$top": 500}).json()["_embedded"]["items"]}
    assert "Harbour Dental" in names
    assert "demo-partner-secret" not in (project / "stacks" / "Pulumi.harbour-dental.yaml").read_text()
