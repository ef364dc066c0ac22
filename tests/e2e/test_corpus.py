"""The plan is the contract, measured on the corpora (tests/e2e/corpus.py): for every out-of-band change and
every spec edit, `preview` plans per resource exactly the op and the fields the corpus says, `up` then does
exactly what preview planned, and afterwards nothing drifts. The fleet's drift scan finds exactly the same.
No report ever shows the engine's unknown placeholder. One fleet run covers the whole corpus at each step (one stack per case), so the engine starts
once per stack and step rather than once per change.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from cloudlink_provider.fleet.engine.env import PROJECT_ROOT, pulumi_env
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from testkit.fleet_project import check, fleet, fleet_env, make_project
from testkit.samples import copy_fleet_file

from .corpus import ADMIN, CASES, GW, INTEGRATIONS, Case

pytestmark = pytest.mark.e2e

PLACEHOLDER = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
# One sample's salt with its encrypted client secret, PBX password and Teams client secret (demo passphrase).
SAMPLE = PROJECT_ROOT / "stacks" / "Pulumi.harbour-health.yaml"


def write_stack(project: Path, case: Case, spec: dict[str, Any], endpoint: str) -> None:
    sample = yaml.safe_load(SAMPLE.read_text())
    config = {k: v for k, v in sample["config"].items() if k != "cloudlink-fleet:customer"}
    config["cloudlink:endpoint"] = endpoint
    config["cloudlink-fleet:customer"] = spec
    copy_fleet_file(project, endpoint)  # the client id and secret come from the samples' fleet file
    data = {"encryptionsalt": sample["encryptionsalt"], "config": config}
    (project / "stacks" / f"Pulumi.{case.name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))


def planned(report: dict[str, Any]) -> dict[str, dict[str, tuple[str, tuple[str, ...]]]]:
    """{stack: {resource: (op, sorted field names)}} from a fleet JSON report."""
    return {s["stack"]: {r["name"]: (r["op"], tuple(sorted(f["field"] for f in r["fields"])))
                         for r in s["resources"]} for s in report["stacks"]}


def live_ids(api, case: Case) -> dict[str, str]:
    name = case.spec["account"]["name"]
    [account] = api.http.get(ADMIN, params={"$filter": f"name eq '{name}'"}).json()["_embedded"]["items"]
    ids = {"account": account["accountId"]}
    gateways = api.http.get(f"{GW}/{ids['account']}/gateways").json()["_embedded"]["items"]
    ids["gateway"] = gateways[0]["gatewayId"]
    teams = api.http.get(f"{INTEGRATIONS}/{ids['account']}/integrations").json()["_embedded"]["items"]
    ids["integration"] = teams[0]["integrationId"] if teams else ""
    users = api.http.get(f"{ADMIN}/{ids['account']}/users").json()["_embedded"]["items"]
    ids["user"] = users[0]["userId"] if users else ""
    return ids


def test_preview_plans_exactly_what_up_does_for_every_out_of_band_change_and_spec_edit(tmp_path, emulator, api):
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0})  # a new link connects at once
    project = make_project(tmp_path / "project", emulator.url)
    for case in CASES:
        write_stack(project, case, case.spec, emulator.url)
    env = fleet_env()
    out = tmp_path / "reports"
    check(fleet(project, "up", "--parallel", "4", "--json", str(out / "deploy.json"), env=env, timeout=900), 0)

    # the console changes and the pull request, all at once (one stack each)
    for case in CASES:
        ids = live_ids(api, case)
        for call in case.calls:
            done = api.http.request(call.method, call.resolve(ids).path, json=call.body)
            assert done.status_code in (200, 201, 204), (case.name, call, done.text)
        if case.edits:
            write_stack(project, case, case.edited_spec(), emulator.url)
    sso_case = next(c for c in CASES if c.name == "oob-scim-token-rotated")

    # the engine's preview (with refresh) plans exactly the corpus, and so does the fleet's drift scan
    api.clear_journal()
    preview = check(fleet(project, "preview", "--refresh", "--expect-no-changes", "--parallel", "4", "--json",
                          str(out / "preview.json"), "--markdown", str(out / "preview.md"), env=env, timeout=900), 3)
    scan = check(fleet(project, "drift", "--json", str(out / "scan.json"), "--markdown", str(out / "scan.md"),
                       env=env, timeout=900), 3)
    assert api.writes() == []
    texts = [preview.stdout, (out / "preview.json").read_text(), (out / "preview.md").read_text(),
             scan.stdout, (out / "scan.json").read_text(), (out / "scan.md").read_text()]
    for report in (texts[1], texts[4]):
        plan = planned(json.loads(report))
        for case in CASES:
            assert plan[case.name] == case.expect, case.name
    assert "(known after up)" in texts[1]  # the replaced gateway's new id
    for text in texts:
        assert PLACEHOLDER not in text

    # up (with refresh) does exactly what preview planned, resource by resource
    check(fleet(project, "up", "--refresh", "--parallel", "4", "--json", str(out / "up.json"), env=env,
                timeout=900), 0)
    done = planned(json.loads((out / "up.json").read_text()))
    for case in CASES:
        ops = {name: op for name, (op, _) in done[case.name].items()}
        assert ops == {name: op for name, (op, _) in case.expect.items()}, case.name
        for name, (op, fields) in done[case.name].items():
            if op == "update":  # in-place changes list the same fields in up as in preview
                assert fields == case.expect[name][1], (case.name, name)
    assert PLACEHOLDER not in (out / "up.json").read_text()

    # every out-of-band change was undone, every edit applied: nothing drifts any more
    check(fleet(project, "drift", env=env, timeout=900), 0)

    # the SCIM token the stack now holds is the live one: it works against the SCIM endpoint
    engine = {**pulumi_env(backend_url=(project / ".state").as_uri()),
              "PULUMI_CONFIG_PASSPHRASE": env["PULUMI_CONFIG_PASSPHRASE"]}
    outputs = run_pulumi(["stack", "output", "--json", "--show-secrets", "--stack", sso_case.name], project, engine)
    assert outputs.returncode == 0, outputs.stderr
    values = json.loads(outputs.stdout)
    users = httpx.get(values["scimBaseUrl"] + "/Users", headers={"Authorization": f"Bearer {values['scimToken']}"})
    assert users.status_code == 200, users.text


def test_the_corpora_cover_every_resource_kind_and_every_managed_field():
    from cloudlink_provider.resources.sso_scim_integration import WANTED
    changed: dict[str, set[str]] = {}
    for case in CASES:
        for resource, (_, fields) in case.expect.items():
            changed.setdefault(resource, set()).update(fields)
    assert changed["account"] >= {"name", "domain", "languageCode", "active"}
    assert changed["gateway"] >= {"name", "serialNumber", "type"}
    assert changed["pbx"] >= {"type", "host", "port", "username", "users", "bhcc", "micollabVersion"}
    assert changed["roles"] >= {"roles"}
    assert "users" in changed  # the selection is computed, not an input: an update with no input field
    assert changed["teams"] >= {"tenantId", "clientId", "mode"}
    assert changed["sso"] >= {"issuerId", "loginUrl", "logoutUrl", "certificate", "scim", "provider", *WANTED}
    assert [c.name for c in CASES] == [c.name for c in __import__("tests.e2e.corpus", fromlist=["cases"]).cases()]
