"""The fleet with its state in an object store, against real servers on loopback: S3 (moto's server), Azure
Blob (Azurite) and Google Cloud Storage (fake-gcs-server), as testkit/servers.py starts them.

Per store: `pulumi login` to the bucket, `fleet up` of full customers, the scan reading the
checkpoints natively (one listing, the report naming the reader) and `--engine` reporting the
same findings after out-of-band changes; a run killed with SIGKILL mid-`up`, recovered with
`fleet recover` (the dead engine's lock removed from the bucket, the pending create cleared)
and `up`, with no duplicate; a damaged checkpoint restored from Pulumi's copies in the bucket.
And a stack whose secrets a cloud KMS encrypts (awskms, in moto's KMS): the scan hands that
customer to the engine and says so in one line.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from cloudlink_provider.fleet.state.buckets import open_bucket
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from cloudlink_provider.fleet.stacks import StackFile
from testkit.fleet_project import fleet, fleet_env, full_customers, make_project, write_imported_stacks
from testkit.secrets import assert_no_secret

from .test_fleet_scan import _ids, _ok, findings
from .test_recover import ADMIN, GW, add_stack, check, kill_mid_run

pytestmark = pytest.mark.e2e
V = "2017-09-01"
PROJECT = "cloudlink-fleet"
KINDS = ["s3", "azblob", "gs"]


@pytest.fixture
def store(request, object_stores, monkeypatch):
    """(server, backend URL under a fresh prefix, fleet env); the SDKs in this process see the server's env."""
    server = object_stores[request.param]
    for key, value in server.env.items():
        monkeypatch.setenv(key, value)
    url = server.backend_url(f"fleet-{uuid.uuid4().hex[:8]}")
    return server, url, fleet_env({**server.env, "PULUMI_BACKEND_URL": url})


def login(project: Path, url: str, env: dict[str, str], home: Path) -> None:
    done = run_pulumi(["login", url], project, {**env, "PULUMI_HOME": str(home)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Logged in to" in done.stdout + done.stderr


def report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


@pytest.mark.parametrize("store", KINDS, indirect=True)
def test_scan_reads_the_object_store_natively_and_agrees_with_the_engine(store, tmp_path, emulator, api):
    server, url, env = store
    customers = full_customers(3, "Obj" + url.split(":", 1)[0])
    project = make_project(tmp_path / "project", emulator.url)
    write_imported_stacks(project, customers, emulator.url)
    login(project, url, env, tmp_path / "pulumi-home")

    up = fleet(project, "up", "--parallel", "3", env=env, timeout=900)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]
    assert not (project / ".state").exists(), "the state went to the file backend"
    bucket = open_bucket(url)
    keys = bucket.list(".pulumi/")
    assert {f".pulumi/stacks/{PROJECT}/{s}.json" for s in customers} <= set(keys), keys
    assert [k for k in keys if "/locks/" in k] == []

    clean = fleet(project, "drift", "--json", str(tmp_path / "clean.json"), env=env)
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    assert report(tmp_path / "clean.json")["checkpointReader"] == url.split(":", 1)[0]
    assert "checkpoints read natively" in clean.stdout

    first, second = sorted(customers)[:2]
    ids = _ids(api, customers[first]["account"]["name"])
    _ok(api.http.put(f"/admin/{V}/accounts/{ids['account']}", json={"languageCode": "it-IT"}))
    ids = _ids(api, customers[second]["account"]["name"])
    _ok(api.http.put(f"/gateway/{V}/accounts/{ids['account']}/gateways/{ids['gateway']}",
                     json={"name": "Renamed in the console"}))
    scan = fleet(project, "drift", "--json", str(tmp_path / "scan.json"), "--history", "backend", env=env)
    engine = fleet(project, "drift", "--engine", "--json", str(tmp_path / "engine.json"), "--history", "backend",
                   env=env, timeout=900)
    assert scan.returncode == engine.returncode == 3, scan.stdout[-3000:] + engine.stdout[-3000:]
    # the history kept in the store beside the state: the engine's run compares with the scan's
    assert "no previous run: this run is the baseline" in scan.stdout
    assert bucket.read(".cloudlink/drift-history/latest.json") is not None
    assert {r["finding"]["since"] for s in report(tmp_path / "engine.json")["stacks"] for r in s["resources"]} == \
        {"still"}
    scan_report, engine_report = report(tmp_path / "scan.json"), report(tmp_path / "engine.json")
    assert findings(scan_report) == findings(engine_report)
    assert {s["stack"] for s in scan_report["stacks"] if s["drifted"]} == {first, second}
    assert scan_report["checkpointReader"] == url.split(":", 1)[0] and engine_report["checkpointReader"] is None


@pytest.mark.parametrize("store", KINDS, indirect=True)
def test_a_run_killed_mid_up_on_an_object_store_is_recovered(store, tmp_path, emulator, api):
    server, url, env = store
    project = make_project(tmp_path / "project", emulator.url)
    add_stack(project, "killed", 7, emulator.url)
    bucket = open_bucket(url)

    def locks() -> list[str]:
        return [k for k in bucket.list(".pulumi/locks/")]

    api.http.put("/_emulator/settings", json={"pbx_connect_s": 600})
    kill_mid_run(project, ["up"], "killed",
                 lambda: any(r["method"] == "POST" and r["path"].endswith("/pbx-link") for r in api.journal()),
                 "PBX link create", env=env, locked=lambda: locks() != [])
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0.2})

    done = fleet(project, "recover", "--stacks", "killed", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "released the lock of the dead engine" in done.stdout and "pending operation" in done.stdout
    assert locks() == []
    check(fleet(project, "up", "--stacks", "killed", env=env), 0)
    check(fleet(project, "drift", "--stacks", "killed", env=env), 0)
    accounts = api.http.get(ADMIN, params={"$filter": "name eq 'Killed 7'"}).json()["_embedded"]["items"]
    assert len(accounts) == 1  # no duplicate, no orphan
    gateways = api.http.get(f"{GW}/{accounts[0]['accountId']}/gateways").json()["_embedded"]["items"]
    assert len(gateways) == 1

    # a damaged checkpoint (cut short on its way in): restored from Pulumi's own copies in the bucket
    key = f".pulumi/stacks/{PROJECT}/killed.json"
    whole = bucket.read(key)
    assert whole is not None
    bucket.write(key, whole[: len(whole) // 2])
    broken = fleet(project, "drift", "--stacks", "killed", env=env)
    assert broken.returncode == 1 and "killed" in broken.stdout
    done = fleet(project, "recover", "--stacks", "killed", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"restored the damaged {key} from Pulumi's copy" in " ".join(done.stdout.split())
    check(fleet(project, "drift", "--stacks", "killed", env=env), 0)
    check(fleet(project, "drift", "--engine", "--stacks", "killed", env=env), 0)


def test_a_stack_with_a_cloud_kms_secrets_provider_is_handed_to_the_engine(tmp_path, emulator, api, object_stores,
                                                                           monkeypatch):
    """awskms (moto's KMS): the scan cannot decrypt it in-process, says so in one line, and the engine judges."""
    kms = object_stores["s3"]
    customers = full_customers(2, "Kms")
    project = make_project(tmp_path / "project", emulator.url)
    write_imported_stacks(project, customers, emulator.url)
    (tmp_path / "state").mkdir()
    env = fleet_env({**kms.env, "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri()})
    kms_stack = sorted(customers)[1]
    file = StackFile(project / "stacks", kms_stack)
    spec = file.spec()
    file.path.unlink()
    provider = kms.kms_key()
    init = run_pulumi(["stack", "init", kms_stack, "--secrets-provider", provider], project, env)
    assert init.returncode == 0, init.stdout + init.stderr
    for key, value, secret in (("cloudlink:endpoint", emulator.url, False), ("cloudlink:clientId", "demo-partner", False),
                               ("cloudlink:clientSecret", "demo-partner-secret", True),
                               ("cloudlink-fleet:pbxPassword", "pbx-pass-0001", True),
                               ("cloudlink-fleet:teamsClientSecret", "teams-secret-0001", True)):
        done = run_pulumi(["config", "set", key, "--stack", kms_stack, *(["--secret"] if secret else [])],
                          project, env, input=value)
        assert done.returncode == 0, done.stderr
    file.set_spec(spec)
    assert file.load()["secretsprovider"].startswith("awskms://") and "encryptionsalt" not in file.load()

    check(fleet(project, "up", env=env, timeout=900), 0)
    clean = fleet(project, "drift", "--json", str(tmp_path / "clean.json"), env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    why = f"{kms_stack}: secrets provider awskms: the scan decrypts only the passphrase provider, so the engine " \
          "checked this customer"
    assert why in " ".join(clean.stdout.split())
    assert report(tmp_path / "clean.json")["handedToEngine"] == {kms_stack: why.split(": ", 1)[1]}
    assert report(tmp_path / "clean.json")["unmanaged"] == []  # its account counts as managed

    ids = _ids(api, customers[kms_stack]["account"]["name"])
    _ok(api.http.put(f"/admin/{V}/accounts/{ids['account']}", json={"languageCode": "it-IT"}))
    drift = fleet(project, "drift", "--json", str(tmp_path / "drift.json"), env=env)
    assert drift.returncode == 3, drift.stdout + drift.stderr
    drifted = report(tmp_path / "drift.json")
    assert [s["stack"] for s in drifted["stacks"] if s["drifted"]] == [kms_stack]
    row = next(s for s in drifted["stacks"] if s["stack"] == kms_stack)
    assert row["notes"][0] == why.split(": ", 1)[1]
    assert any(r["name"] == "account" for r in row["resources"])
    assert_no_secret(drift.stdout + (tmp_path / "drift.json").read_text(),
                     ["pbx-pass-0001", "teams-secret-0001", "demo-partner-secret"], "the drift report")


@pytest.mark.parametrize("kind", KINDS)
def test_a_server_dies_with_the_process_that_started_it(kind, tmp_path):
    """A suite killed outright leaves no server behind: each is started with the engine's death signal."""
    import signal
    import subprocess
    import sys

    from cloudlink_provider.fleet.engine.env import PROJECT_ROOT

    from testkit.processes import wait_for

    starter = subprocess.Popen(
        [sys.executable, "-c", "import sys, time; from testkit.servers import SERVERS; "
         f"s = SERVERS[{kind!r}](sys.argv[1]); s.start(); print(s.pid, flush=True); time.sleep(600)", str(tmp_path)],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
    try:
        pid = int(starter.stdout.readline())
        assert Path(f"/proc/{pid}").exists()
        starter.send_signal(signal.SIGKILL)
        starter.wait(timeout=30)

        def gone() -> bool:
            try:
                return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
            except OSError:
                return True
        wait_for(gone, 30, f"the {kind} server (pid {pid}) outlived the process that started it")
    finally:
        if starter.poll() is None:
            starter.kill()
        starter.stdout.close()
        starter.wait(timeout=30)
