"""The scan and the engine find the same drift: a seeded fleet of full customers, deployed by the real engine.

32 full customers (every resource kind, the four PBX types), written as `fleet import`
writes stacks and deployed with `cloudlink fleet up`. Then, seeded and deterministic:
out-of-band changes through the API (every resource kind, deletions included),
uncommitted spec edits in the stack files, and customers left clean. `fleet drift
--engine` (the engine's `preview --refresh --expect-no-changes` per stack) and
`fleet drift` (the scan) must report the same set of (stack, resource, op, field,
changed/deleted outside) and exit with the same code; the scan writes nothing.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

import pytest
import yaml

from testkit.fleet_project import (PBX_PASSWORD, TEAMS_SECRET, fleet, full_customers, make_project,
                                   write_imported_stacks)
from testkit.secrets import assert_no_secret

pytestmark = pytest.mark.e2e
V = "2017-09-01"
COUNT = 32


def findings(report: dict[str, Any]) -> set[tuple]:
    """What a drift report says, as comparable facts."""
    out: set[tuple] = set()
    for s in report["stacks"]:
        out.add((s["stack"], "status", s["status"]))
        for r in s["resources"]:
            out.add((s["stack"], r["name"], r["op"], "deletedOutside" if r["deletedOutside"] else ""))
            outside = {f["field"] for f in r["changedOutside"]}
            for f in r["fields"]:
                out.add((s["stack"], r["name"], r["op"], f["field"], f["field"] in outside))
            for f in r["changedOutside"]:
                out.add((s["stack"], r["name"], "outside", f["field"], json.dumps(f["new"], default=str)))
    return out


def finding_keys(report: dict[str, Any]) -> dict[str, str]:
    """Every drift finding of a report: key -> fingerprint."""
    return {r["finding"]["key"]: r["finding"]["fingerprint"] for s in report["stacks"] for r in s["resources"]}


def _ids(api, name: str) -> dict[str, str]:
    accounts = {a["name"]: a["accountId"] for a in api.http.get(f"/admin/{V}/accounts").json()["_embedded"]["items"]}
    account = accounts[name]
    gateways = api.http.get(f"/gateway/{V}/accounts/{account}/gateways").json()["_embedded"]["items"]
    teams = api.http.get(f"/integrations/{V}/accounts/{account}/integrations").json()["_embedded"]["items"]
    return {"account": account, "gateway": gateways[0]["gatewayId"] if gateways else "",
            "teams": teams[0]["integrationId"] if teams else ""}


def _ok(response) -> None:
    assert response.status_code < 300, (response.request.method, str(response.request.url), response.text)


def out_of_band(api, customers: dict[str, dict], rng: random.Random) -> list[str]:
    """One console change per chosen customer, of every kind; returns the stacks touched."""
    stacks = sorted(customers)
    touched = []
    changes = ["language", "rename-account", "gateway-name", "pbx-host", "role-removed", "teams-mode",
               "teams-deleted", "sso-login", "scim-off", "account-deleted"]
    eligible = {"role-removed": lambda sp: "roles" in sp, "teams-deleted": lambda sp: "teams" in sp,
                "teams-mode": lambda sp: sp.get("teams", {}).get("mode") == "bidirectional"}
    free = list(stacks)
    rng.shuffle(free)
    for change in changes:
        stack = next(s for s in free if eligible.get(change, lambda sp: True)(customers[s]))
        free.remove(stack)
        spec = customers[stack]
        ids = _ids(api, spec["account"]["name"])
        a, g = ids["account"], ids["gateway"]
        h = api.http
        if change == "language":
            _ok(h.put(f"/admin/{V}/accounts/{a}", json={"languageCode": "it-IT"}))
        elif change == "rename-account":
            _ok(h.put(f"/admin/{V}/accounts/{a}", json={"name": spec["account"]["name"] + " (old)"}))
        elif change == "gateway-name":
            _ok(h.put(f"/gateway/{V}/accounts/{a}/gateways/{g}", json={"name": "Renamed in the console"}))
        elif change == "pbx-host":
            _ok(h.put(f"/gateway/{V}/accounts/{a}/gateways/{g}/pbx-link", json={"host": "moved.example"}))
        elif change == "role-removed":
            _ok(h.delete(f"/gateway/{V}/accounts/{a}/pbx/roles/{spec['roles'][0]['extension']}"))
        elif change == "teams-mode":
            _ok(h.put(f"/integrations/{V}/accounts/{a}/integrations/{ids['teams']}", json={"mode": "UNIDIRECTIONAL"}))
        elif change == "teams-deleted":
            _ok(h.delete(f"/integrations/{V}/accounts/{a}/integrations/{ids['teams']}"))
        elif change == "sso-login":
            _ok(h.put(f"/authentication/{V}/identityProviders/{a}",
                      json={"saml": {"loginUrl": "https://login.example.org/saml2"}}))
        elif change == "scim-off":
            _ok(h.delete(f"/scim/{V}/accounts/{a}/azure-sync"))
        elif change == "account-deleted":
            for path in (f"/scim/{V}/accounts/{a}/azure-sync", f"/authentication/{V}/identityProviders/{a}"):
                h.delete(path)
            if ids["teams"]:
                _ok(h.delete(f"/integrations/{V}/accounts/{a}/integrations/{ids['teams']}"))
            _ok(h.delete(f"/gateway/{V}/accounts/{a}/gateways/{g}/pbx-link"))
            _ok(h.delete(f"/gateway/{V}/accounts/{a}/gateways/{g}"))
            _ok(h.delete(f"/admin/{V}/accounts/{a}"))
        touched.append(stack)
    return touched


def spec_edits(project: Path, customers: dict[str, dict], exclude: set[str], rng: random.Random) -> list[str]:
    """Uncommitted edits of stack files, as a pull request would carry them."""
    edits = ["gateway-name", "pbx-port", "teams-removed", "role-added", "pbx-type", "domain"]
    eligible = {"teams-removed": lambda sp: "teams" in sp, "role-added": lambda sp: "roles" in sp,
                "pbx-type": lambda sp: sp["pbx"]["type"] == "mivoice-5000"}
    free = sorted(set(customers) - exclude)
    rng.shuffle(free)
    chosen = []
    for edit in edits:
        stack = next(s for s in free if eligible.get(edit, lambda sp: True)(customers[s]))
        free.remove(stack)
        chosen.append(stack)
    for edit, stack in zip(edits, chosen):
        path = project / "stacks" / f"Pulumi.{stack}.yaml"
        data = yaml.safe_load(path.read_text())
        spec = data["config"]["cloudlink-fleet:customer"]
        if edit == "gateway-name":
            spec["gateway"]["name"] = "Edited in the PR"
        elif edit == "pbx-port":
            spec["pbx"]["port"] = 8443
        elif edit == "teams-removed":
            spec.pop("teams", None)
        elif edit == "role-added":
            spec["roles"].append({"extension": "2099", "role": spec["roles"][0]["role"]})
        elif edit == "pbx-type":
            spec["pbx"]["type"] = "mx-one"
            spec["roles"] = [{"extension": r["extension"], "role": "USER"} for r in spec.get("roles", [])]
        elif edit == "domain":
            spec["account"]["domain"] = "edited.example"
        path.write_text(yaml.safe_dump(data, sort_keys=False))
    return chosen


def test_scan_and_engine_report_the_same_drift(tmp_path, emulator, api):
    customers = full_customers(COUNT, "Scan")
    project = make_project(tmp_path / "project", emulator.url)
    write_imported_stacks(project, customers, emulator.url)
    up = fleet(project, "up", "--parallel", "4", "--json", str(tmp_path / "up.json"), timeout=1500)
    assert up.returncode == 0, up.stdout[-3000:] + up.stderr[-3000:]

    clean = fleet(project, "drift", "--json", str(tmp_path / "clean.json"))
    assert clean.returncode == 0, clean.stdout[-3000:] + clean.stderr[-3000:]
    assert json.loads((tmp_path / "clean.json").read_text())["unmanaged"] == []

    rng = random.Random(8)
    touched = out_of_band(api, customers, rng)
    edited = spec_edits(project, customers, set(touched), rng)
    assert len(set(touched) | set(edited)) >= 12 and len(set(customers) - set(touched) - set(edited)) >= 10

    # coverage: a customer account no stack manages, and a second gateway on a clean, managed account
    clean_stack = sorted(set(customers) - set(touched) - set(edited))[0]
    clean_account = _ids(api, customers[clean_stack]["account"]["name"])["account"]
    _ok(api.http.post(f"/admin/{V}/accounts", json={"name": "Nobody's Customer"}))
    _ok(api.http.post(f"/gateway/{V}/accounts/{clean_account}/gateways",
                      json={"serialNumber": "CLGW-STRAY-0001", "type": "VIRTUAL", "name": "Stray"}))

    api.clear_journal()
    scan = fleet(project, "drift", "--json", str(tmp_path / "scan.json"), "--markdown", str(tmp_path / "scan.md"))
    assert api.writes() == [], "the scan wrote to CloudLink"
    engine = fleet(project, "drift", "--engine", "--json", str(tmp_path / "engine.json"), timeout=900)
    scan_report = json.loads((tmp_path / "scan.json").read_text())
    engine_report = json.loads((tmp_path / "engine.json").read_text())

    assert scan.returncode == engine.returncode == 3, scan.stdout[-3000:] + engine.stdout[-3000:]
    found_scan, found_engine = findings(scan_report), findings(engine_report)
    assert found_scan - found_engine == set() and found_engine - found_scan == set()
    # the same findings too (fleet/findings.py): the same keys, the same fingerprints of the drifted values, so a
    # nightly job that switches between the scan and --engine does not see old drift as new
    keyed_scan, keyed_engine = finding_keys(scan_report), finding_keys(engine_report)
    assert keyed_scan == keyed_engine and len(keyed_scan) >= 12
    drifted = {s["stack"] for s in scan_report["stacks"] if s["drifted"]}
    assert drifted >= set(edited) and drifted >= {s for s in touched}
    for s_scan, s_engine in zip(scan_report["stacks"], engine_report["stacks"]):
        assert s_scan["changes"] == s_engine["changes"], s_scan["stack"]
        # what neither can see, in the same words: the PBX password (and the Teams client secret)
        assert s_scan["notes"] == s_engine["notes"] and any("password is write-only" in n for n in s_scan["notes"])
    # no secret anywhere in what the partner reads, marked `[secret]` or not
    for where, text in (("the Markdown report", (tmp_path / "scan.md").read_text()),
                        ("the scan's JSON", (tmp_path / "scan.json").read_text()), ("the scan's output", scan.stdout),
                        ("the engine's JSON", (tmp_path / "engine.json").read_text())):
        assert_no_secret(text, [PBX_PASSWORD, TEAMS_SECRET, "demo-partner-secret"], where)
    unmanaged = {(u["kind"], u["accountName"], u["stack"]) for u in scan_report["unmanaged"]}
    assert unmanaged == {("account", "Nobody's Customer", None),
                         ("gateway", customers[clean_stack]["account"]["name"], clean_stack)}
    assert "In CloudLink, managed by no stack (2)" in (tmp_path / "scan.md").read_text()
    assert engine_report["unmanaged"] is None  # the engine does not look
