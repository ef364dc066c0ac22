"""One edit to a fleet default reaches exactly the customers it should, and every path sees the same spec.

A scratch project (a git repository) whose customers layer over a fleet file: two
inherit the fleet's default language, one sets its own, one opts into a profile.
After `cloudlink fleet up`, the default changes, and the engine's preview, the
`--changed-since` selection, the drift scan, the engine's drift check, plain
`pulumi preview` and the next `up` must all see the same effective spec.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from cloudlink_provider.fleet.engine.env import pulumi_env
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from cloudlink_provider.fleet.stacks import StackFile
from cloudlink_provider.fleetfile import CUSTOMER_KEY, LABELS_KEY, PROFILES_KEY, FleetFile
from testkit.fleet_project import check, fleet, fleet_env, make_project
from testkit.samples import copy_fleet_file

pytestmark = pytest.mark.e2e
ADMIN = "/admin/2017-09-01/accounts"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
                   check=True, capture_output=True, timeout=60)


def languages(api) -> dict[str, str]:
    return {a["name"]: a["languageCode"] for a in api.http.get(ADMIN).json()["_embedded"]["items"]}


def test_a_changed_default_is_seen_the_same_by_preview_scan_drift_and_up(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url)
    stacks = project / "stacks"
    copy_fleet_file(project, emulator.url)  # the samples' provider block: endpoint and encrypted credentials
    fleet_file = FleetFile(stacks)
    data = fleet_file.load()
    data["defaults"] = {"account": {"languageCode": "es-ES"}}
    data["profiles"] = {"catalan": {"labels": {"region": "cat"}, "spec": {"account": {"domain": "cat.example"}}}}
    fleet_file.save(data)
    customers = {"uno": ({"name": "Uno"}, None), "dos": ({"name": "Dos"}, ["catalan"]),
                 "tres": ({"name": "Tres", "languageCode": "de-DE"}, None)}
    for name, (account, profiles) in customers.items():
        config = {LABELS_KEY: {"wave": "1" if name != "tres" else "2"}, CUSTOMER_KEY: {"account": account}}
        if profiles:
            config[PROFILES_KEY] = profiles
        StackFile(stacks, name).save({"config": config})
    (project / ".gitignore").write_text(".state/\n.venv\n")
    git(project, "init", "-q", "-b", "main")
    git(project, "add", ".")
    git(project, "commit", "-qm", "the fleet")
    env = fleet_env()

    check(fleet(project, "up", env=env), 0)
    assert languages(api) == {"Uno": "es-ES", "Dos": "es-ES", "Tres": "de-DE"}

    # one edit: the fleet's default language
    data["defaults"]["account"]["languageCode"] = "ca-ES"
    fleet_file.save(data)

    # the engine's preview: exactly the two customers the default reaches, the same change on both
    check(fleet(project, "preview", "--json", str(tmp_path / "p.json"), env=env), 0)
    preview = {s["stack"]: s for s in json.loads((tmp_path / "p.json").read_text())["stacks"]}
    changed = {name: [(r["name"], r["op"], [(f["field"], f["old"], f["new"]) for f in r["fields"]])
                      for r in s["resources"]] for name, s in preview.items() if s["status"] == "changed"}
    assert changed == {n: [("account", "update", [("languageCode", "es-ES", "ca-ES")])] for n in ("uno", "dos")}
    assert preview["dos"]["labels"] == {"region": "cat", "wave": "1"} and preview["tres"]["status"] == "unchanged"

    # --changed-since: the same two, picked by the fleet file's default, the change grouped in Markdown
    check(fleet(project, "preview", "--changed-since", "HEAD", "--json", str(tmp_path / "c.json"), "--markdown",
                str(tmp_path / "c.md"), env=env), 0)
    picked = json.loads((tmp_path / "c.json").read_text())
    assert [s["stack"] for s in picked["stacks"]] == ["dos", "uno"]
    assert picked["stacks"][0]["pickedBy"] == ("effective spec changed (account.languageCode; from "
                                               "stacks/fleet.yaml defaults)")
    markdown = (tmp_path / "c.md").read_text()
    assert "**The same change on 2 customers:** `account.languageCode es-ES -> ca-ES`" in markdown
    assert "| `dos` | region=cat,wave=1 |" in markdown

    # --select with the labels: the wave-1 customers only; a shard of them
    check(fleet(project, "preview", "--select", "wave=1,!region", "--json", str(tmp_path / "s.json"), env=env), 0)
    assert [s["stack"] for s in json.loads((tmp_path / "s.json").read_text())["stacks"]] == ["uno"]

    # the drift scan and the engine's drift check: the same two, the same field, nothing written
    api.clear_journal()
    check(fleet(project, "drift", "--json", str(tmp_path / "scan.json"), env=env), 3)
    check(fleet(project, "drift", "--engine", "--json", str(tmp_path / "engine.json"), env=env), 3)
    assert api.writes() == []
    for report in ("scan.json", "engine.json"):
        stacks_seen = {s["stack"]: s for s in json.loads((tmp_path / report).read_text())["stacks"]}
        assert {n for n, s in stacks_seen.items() if s["drifted"]} == {"uno", "dos"}, report
        assert [(f["field"], f["new"]) for f in stacks_seen["uno"]["resources"][0]["fields"]] == [
            ("languageCode", "ca-ES")], report

    # plain `pulumi preview` (the program, as "Working with stacks by hand" runs it) sees it too
    engine_env = {**pulumi_env(backend_url=(project / ".state").as_uri()),
                  "PULUMI_CONFIG_PASSPHRASE": env["PULUMI_CONFIG_PASSPHRASE"]}
    by_hand = run_pulumi(["preview", "--stack", "uno", "--diff", "--non-interactive"], project, engine_env)
    assert by_hand.returncode == 0, by_hand.stderr
    assert '~ languageCode: "es-ES" => "ca-ES"' in by_hand.stdout and "1 to update" in by_hand.stdout

    # up applies exactly that; then everything is clean again
    check(fleet(project, "up", env=env), 0)
    assert languages(api) == {"Uno": "ca-ES", "Dos": "ca-ES", "Tres": "de-DE"}
    check(fleet(project, "preview", "--expect-no-changes", env=env), 0)
    check(fleet(project, "drift", env=env), 0)
