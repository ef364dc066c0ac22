"""`cloudlink fleet` as a user runs it: the real CLI, the real engine, a live emulator (issue #5).

Every test builds a scratch project (generated account-only customers, or the
four samples) pointed at its own emulator, with its own `file://` state, and
drives `.venv/bin/cloudlink fleet ...` in a subprocess. Assertions are about
accounts (what exists in the emulator, what the report says about them) and
never about which other resources the program declares.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudlink_provider.emulator.store import DEMO_PARTNER
from testkit.fleet_project import (CLOUDLINK, check, customer, fleet, fleet_env, generated, lock_files,
                                   make_project, write_stack)
from testkit.secrets import assert_no_secret

pytestmark = pytest.mark.e2e

ADMIN = "/admin/2017-09-01/accounts"


def accounts(api) -> dict[str, dict[str, Any]]:
    """Every customer account in the emulator, by name."""
    items = api.http.get(ADMIN, params={"$top": 500}).json()["_embedded"]["items"]
    return {a["name"]: a for a in items}


def report(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


def by_stack(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["stack"]: s for s in data["stacks"]}


def test_fleet_lifecycle_preview_up_drift_repair_destroy(tmp_path, emulator, api):
    customers = generated(4)
    project = make_project(tmp_path / "project", emulator.url, customers)
    files_before = {p.name: p.read_text() for p in (project / "stacks").glob("*.yaml")}
    out = tmp_path / "reports"

    # preview: every customer plans its account, nothing is written
    api.clear_journal()
    check(fleet(project, "preview", "--json", str(out / "preview.json")), 0)
    planned = by_stack(report(out / "preview.json"))
    assert sorted(planned) == sorted(customers)
    for stack in planned.values():
        assert stack["status"] == "changed"
        assert {(r["type"], r["op"]) for r in stack["resources"]} >= {("cloudlink:Account", "create")}
    assert api.writes() == []

    # up, two at a time: every account exists with its spec; the committed stack files are untouched
    check(fleet(project, "up", "--parallel", "2", "--json", str(out / "up.json")), 0)
    live = accounts(api)
    for spec in customers.values():
        assert live[spec["account"]["name"]]["domain"] == spec["account"]["domain"]
    assert all(s["status"] == "changed" and s["changes"]["created"] >= 1 for s in report(out / "up.json")["stacks"])
    assert {p.name: p.read_text() for p in (project / "stacks").glob("*.yaml")} == files_before
    assert lock_files(project) == []

    # drift on a clean fleet: exit 0, nothing drifted
    check(fleet(project, "drift", "--json", str(out / "clean.json")), 0)
    assert report(out / "clean.json")["totals"]["drifted"] == 0

    # a colleague changes one customer's domain in the console: drift exits 3 and names the field
    victim = live["Customer 002"]["accountId"]
    assert api.http.put(f"{ADMIN}/{victim}", json={"domain": "evil.example"}).status_code == 200
    result = check(fleet(project, "drift", "--json", str(out / "drift.json"), "--markdown", str(out / "drift.md")), 3)
    drift = report(out / "drift.json")
    assert drift["exitCode"] == 3 and drift["totals"]["drifted"] == 1
    stacks = by_stack(drift)
    assert {name for name, s in stacks.items() if s["drifted"]} == {"customer-002"}
    [account] = [r for r in stacks["customer-002"]["resources"] if r["type"] == "cloudlink:Account"]
    assert account["op"] == "update"
    assert {"field": "domain", "old": "evil.example", "new": "customer002.example"} in account["fields"]
    assert [f["field"] for f in account["changedOutside"]] == ["domain"]
    markdown = (out / "drift.md").read_text()
    assert "customer-002" in markdown and "evil.example" in markdown and "| customer | labels | status |" in markdown
    assert "evil.example" in result.stdout
    for text in (result.stdout, result.stderr, markdown, (out / "drift.json").read_text()):
        assert_no_secret(text, [DEMO_PARTNER["client_secret"]], "the drift report")

    # repair just that customer, then the whole fleet is clean again
    check(fleet(project, "up", "--stacks", "customer-002", "--refresh"), 0)
    assert api.http.get(f"{ADMIN}/{victim}").json()["domain"] == "customer002.example"
    check(fleet(project, "drift"), 0)

    # destroy needs --yes; shard 1/2 destroys exactly that half of the sorted fleet
    check(fleet(project, "destroy"), 2)
    check(fleet(project, "destroy", "--yes", "--shard", "1/2", "--json", str(out / "destroy.json")), 0)
    destroyed = {s["stack"] for s in report(out / "destroy.json")["stacks"]}
    assert destroyed == {"customer-001", "customer-003"}
    assert set(accounts(api)) == {"Customer 002", "Customer 004"}
    assert lock_files(project) == []


def test_one_failing_customer_does_not_stop_the_others(tmp_path, emulator, api):
    customers = generated(3)
    customers["customer-002"] = {"account": {"name": "Broken", "languageCode": "spanish"}}
    project = make_project(tmp_path / "project", emulator.url, customers)
    # and one whose provider configuration lacks the client secret
    incomplete = write_stack(project, "customer-004", customer(4), emulator.url)
    data = yaml.safe_load(incomplete.read_text())
    del data["config"]["cloudlink:clientSecret"]
    incomplete.write_text(yaml.safe_dump(data, sort_keys=False))

    result = check(fleet(project, "up", "--parallel", "4", "--json", str(tmp_path / "up.json")), 1)
    stacks = by_stack(report(tmp_path / "up.json"))
    assert {n: s["status"] for n, s in stacks.items()} == {
        "customer-001": "changed", "customer-002": "failed", "customer-003": "changed", "customer-004": "failed"}
    assert "customer.account.languageCode" in stacks["customer-002"]["error"]
    assert "cloudlink:clientSecret" in stacks["customer-004"]["error"]
    assert set(accounts(api)) == {"Customer 001", "Customer 003"}
    assert "customer.account.languageCode" in result.stdout
    assert lock_files(project) == []

    # fixing the broken spec is enough: the rest of the fleet was not corrupted
    write_stack(project, "customer-002", customer(2), emulator.url)
    check(fleet(project, "up", "--stacks", "customer-00[123]"), 0)
    assert set(accounts(api)) == {"Customer 001", "Customer 002", "Customer 003"}


def test_ctrl_c_cancels_cleanly_and_the_next_up_works(tmp_path, emulator, api):
    customers = generated(6, "Sig")
    project = make_project(tmp_path / "project", emulator.url, customers)
    # a tight API rate limit keeps every engine busy long enough to be interrupted mid-update
    api.http.put("/_emulator/settings", json={"rate_limit_per_s": 1, "rate_burst": 1})
    out = tmp_path / "interrupted.json"
    proc = subprocess.Popen([CLOUDLINK, "fleet", "up", "--parallel", "2", "--project-dir", str(project),
                             "--json", str(out)], env=fleet_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        # an engine is mid-update: it holds its stack's lock and its program is calling the Admin API
        while not (lock_files(project) and any(r["service"] == "admin" for r in api.journal())):
            assert proc.poll() is None, proc.stdout.read() if proc.stdout else ""
            assert time.monotonic() < deadline, "no update started within 120s"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        output, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, output
    assert lock_files(project) == [], output
    interrupted = report(out)
    assert interrupted["interrupted"] is True and interrupted["exitCode"] == 130
    statuses = [s["status"] for s in interrupted["stacks"]]
    assert statuses.count("cancelled") >= 4, statuses  # at most the two running ones may have finished
    assert any("not started" in (s["error"] or "") for s in interrupted["stacks"])
    assert any((s["error"] or "").startswith("interrupted") for s in interrupted["stacks"]), output

    api.http.put("/_emulator/settings", json={"rate_limit_per_s": 200, "rate_burst": 400})
    check(fleet(project, "up", "--parallel", "4"), 0)
    live = api.http.get(ADMIN, params={"$top": 500}).json()["_embedded"]["items"]
    assert sorted(a["name"] for a in live) == sorted(c["account"]["name"] for c in customers.values())
    check(fleet(project, "preview", "--expect-no-changes"), 0)
    assert lock_files(project) == []


def test_import_existing_accounts_then_up_adopts_them(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url)
    made = {}
    for name, domain, language in (("Alpha Dental", "alpha.example", "en-GB"),
                                   ("Bären Apotheke", "baeren.example", "de-DE"),
                                   ("Costa Logística", None, "es-ES")):
        body = {"name": name, "languageCode": language, **({"domain": domain} if domain else {})}
        made[name] = api.http.post(ADMIN, json=body).json()["accountId"]
    creds = {"CLOUDLINK_ENDPOINT": emulator.url, "CLOUDLINK_CLIENT_ID": DEMO_PARTNER["client_id"],
             "CLOUDLINK_CLIENT_SECRET": DEMO_PARTNER["client_secret"]}

    check(fleet(project, "import", "--account-id", made["Alpha Dental"]), 2)  # no credentials
    check(fleet(project, "import", "--account-id", "no-such-account", env=fleet_env(creds)), 1)
    check(fleet(project, "import", "--all", "--account-id", made["Alpha Dental"], env=fleet_env(creds)), 2)

    # one by id, named explicitly, credentials from the environment
    check(fleet(project, "import", "--account-id", made["Alpha Dental"], "--name", "alpha", env=fleet_env(creds)), 0)
    alpha = project / "stacks" / "Pulumi.alpha.yaml"
    text = alpha.read_text()
    config = yaml.safe_load(text)["config"]
    assert config["cloudlink-fleet:customer"] == {"account": {
        "name": "Alpha Dental", "domain": "alpha.example", "languageCode": "en-GB",
        "adoptAccountId": made["Alpha Dental"]}}
    # the first import created the fleet file: the credentials are written there once, encrypted
    assert not [k for k in config if k.startswith("cloudlink:")]
    fleet_file = yaml.safe_load((project / "stacks" / "fleet.yaml").read_text())
    assert fleet_file["provider"]["endpoint"] == emulator.url and set(fleet_file["provider"]["clientSecret"]) == {
        "secure"}
    assert_no_secret(text, [DEMO_PARTNER["client_secret"]], "the imported stack file")
    assert_no_secret((project / "stacks" / "fleet.yaml").read_text(), [DEMO_PARTNER["client_secret"]], "the fleet file")
    assert "encryptionsalt" in yaml.safe_load(text)
    check(fleet(project, "import", "--account-id", made["Alpha Dental"], "--name", "alpha", env=fleet_env(creds)), 2)

    # the rest in bulk, credentials as options; what a stack file already manages is skipped
    result = check(fleet(project, "import", "--all", "--endpoint", emulator.url, "--client-id",
                         DEMO_PARTNER["client_id"], "--client-secret", DEMO_PARTNER["client_secret"]), 0)
    assert sorted(p.name for p in (project / "stacks").glob("*.yaml")) == [
        "Pulumi.alpha.yaml", "Pulumi.baren-apotheke.yaml", "Pulumi.costa-logistica.yaml", "fleet.yaml"]
    assert "skipped" in result.stdout
    costa = yaml.safe_load((project / "stacks" / "Pulumi.costa-logistica.yaml").read_text())
    assert costa["config"]["cloudlink-fleet:customer"]["account"] == {
        "name": "Costa Logística", "languageCode": "es-ES", "adoptAccountId": made["Costa Logística"]}
    again = check(fleet(project, "import", "--all", env=fleet_env(creds)), 0)
    assert "imported" not in again.stdout.replace("cloudlink fleet import", "")

    # up adopts (no new account), the next preview shows no changes
    api.clear_journal()
    check(fleet(project, "up", "--json", str(tmp_path / "up.json")), 0)
    assert not [r for r in api.journal() if r["method"] == "POST" and r["path"].endswith("/accounts")]
    assert {n: a["accountId"] for n, a in accounts(api).items()} == made
    check(fleet(project, "preview", "--expect-no-changes", "--json", str(tmp_path / "preview.json")), 0)
    assert report(tmp_path / "preview.json")["totals"]["unchanged"] == 3


def test_the_sample_stacks_with_their_committed_secrets_preview(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url, samples=True)
    api.clear_journal()
    result = check(fleet(project, "preview", "--json", str(tmp_path / "preview.json"),
                         "--markdown", str(tmp_path / "preview.md")), 0)
    stacks = by_stack(report(tmp_path / "preview.json"))
    assert sorted(stacks) == ["acme-iberia", "baltic-dental", "harbour-health", "nordwind-logistik"]
    for stack in stacks.values():
        assert ("cloudlink:Account", "create") in {(r["type"], r["op"]) for r in stack["resources"]}
    assert api.writes() == []
    # the samples hold encrypted PBX passwords and client secrets: none of it shows
    for text in (result.stdout, (tmp_path / "preview.md").read_text(), (tmp_path / "preview.json").read_text()):
        assert_no_secret(text, [DEMO_PARTNER["client_secret"]], "the preview report")
        assert "secure:" not in text


def test_parallel_fleet_under_a_shared_rate_limit_does_not_storm(tmp_path, emulator, api):
    customers = generated(6, "Rate")
    project = make_project(tmp_path / "project", emulator.url, customers)
    api.http.put("/_emulator/settings", json={"rate_limit_per_s": 2, "rate_burst": 2})
    api.clear_journal()
    check(fleet(project, "up", "--parallel", "4"), 0)
    journal = api.journal()
    limited = [r for r in journal if r["status"] == 429]
    served = [r for r in journal if r["status"] < 400 and r["service"] != "authentication"]
    # the test's own look at the accounts must not compete for the 2/s the fleet shared
    api.http.put("/_emulator/settings", json={"rate_limit_per_s": 200, "rate_burst": 400})
    assert len(accounts(api)) == 6
    # every stack got through; clients backed off as told (Retry-After) instead of hammering
    assert len(limited) <= 2 * len(served), (len(limited), len(served))
