"""Nightly drift tells Teams, Slack and a webhook what is new, and writes the dashboard: the real CLI, the real engine,
the emulator, and a real HTTP receiver on loopback.

The four sample customers (account only) are deployed with `cloudlink fleet up`; two get the same console change,
one a change of its own. The fleet file names five targets, their URLs written with `cloudlink fleet
set-notification-url` (encrypted): Teams, Slack and a webhook that answer 200, one that answers 500 and one that
never answers. `fleet drift --history DIR --json --html` must exit 3 as without notifications, post each payload
(valid against the Adaptive Card schema and Block Kit's limits), report the two failed deliveries in one line each
and in the JSON, and never show a URL. A second run with nothing new posts nothing. Set DASHBOARD_PNG=path to also
save a screenshot of the dashboard (docs/dashboard.png is made this way).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cloudlink_provider.fleet.engine.env import PROJECT_ROOT
from cloudlink_provider.fleet.stacks import CUSTOMER_KEY, StackFile
from cloudlink_provider.fleetfile import FleetFile
from testkit.fleet_project import CLOUDLINK, fleet, fleet_env, make_project
from testkit.payloads import card_errors, slack_violations
from testkit.receiver import Receiver
from testkit.secrets import assert_no_secret

pytestmark = pytest.mark.e2e
V = "2017-09-01"


def _set_url(project: Path, name: str, kind: str, url: str) -> None:
    done = subprocess.run([CLOUDLINK, "fleet", "set-notification-url", name, "--type", kind, "--project-dir",
                           str(project)], input=url + "\n", env=fleet_env(), capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert_no_secret(done.stdout + done.stderr, [url], "set-notification-url's output")


def test_drift_notifies_what_is_new_and_a_failed_delivery_changes_nothing(tmp_path, emulator, api):
    project = make_project(tmp_path / "project", emulator.url, samples=True)
    shutil.copy(PROJECT_ROOT / "stacks" / "standards.yaml", project / "stacks" / "standards.yaml")
    harbour = StackFile(project / "stacks", "harbour-health")
    data = harbour.load()
    data["config"][CUSTOMER_KEY]["account"]["languageCode"] = "en-GB"  # as Baltic Dental: one cause, two customers
    harbour.save(data)
    up = fleet(project, "up")
    assert up.returncode == 0, up.stdout + up.stderr

    accounts = {a["name"]: a["accountId"] for a in api.http.get(f"/admin/{V}/accounts").json()["_embedded"]["items"]}
    for name in ("Baltic Dental", "Harbour Health"):
        assert api.http.put(f"/admin/{V}/accounts/{accounts[name]}", json={"languageCode": "it-IT"}).status_code < 300
    history = tmp_path / "history"
    with Receiver() as hook:
        urls = {"teams": hook.url("/ok/teams?sig=teams-s3cret-sig"), "slack": hook.url("/ok/slack/T0/B0/sl4ck-s3cret"),
                "hook": hook.url("/ok/hook?token=h00k-s3cret"), "broken": hook.url("/status/500?k=br0ken-s3cret"),
                "silent": hook.url("/hang/s1lent-s3cret")}
        for name, kind in (("teams", "teams"), ("slack", "slack"), ("hook", "webhook"), ("broken", "webhook"),
                           ("silent", "slack")):
            _set_url(project, name, kind, urls[name])
        file = FleetFile(project / "stacks")
        raw = file.load()
        for target in raw["notifications"]:
            if target["name"] == "silent":
                target["timeoutSeconds"] = 1
        file.save(raw)
        assert_no_secret(file.path.read_text(), list(urls.values()), "the fleet file")

        # the baseline run: every finding is new
        first = fleet(project, "drift", "--history", str(history), "--json", str(tmp_path / "drift.json"),
                      "--html", str(tmp_path / "dashboard.html"))
        assert first.returncode == 3, first.stdout + first.stderr
        report = json.loads((tmp_path / "drift.json").read_text())
        sent = {n["name"]: n for n in report["notifications"]}
        assert {k: v["delivered"] for k, v in sent.items()} == {"teams": True, "slack": True, "hook": True,
                                                                 "broken": False, "silent": False}
        assert sent["broken"]["error"] == "HTTP 500 Internal Server Error" and sent["broken"]["attempts"] == 1
        assert sent["silent"]["error"] == "no answer within 1s"
        assert "notification broken (webhook) NOT delivered: HTTP 500" in first.stderr
        assert "notification silent (slack) NOT delivered: no answer within 1s" in first.stderr
        assert "notification teams (teams): delivered (2 finding(s))" in first.stdout
        [teams] = hook.bodies("/ok/teams?sig=teams-s3cret-sig")
        [slack] = hook.bodies("/ok/slack/T0/B0/sl4ck-s3cret")
        [payload] = hook.bodies("/ok/hook?token=h00k-s3cret")
        assert card_errors(teams["attachments"][0]["content"]) == [] and slack_violations(slack) == []
        assert {(e["event"], e["customer"]) for e in payload["events"]} == {
            ("new-drift", "baltic-dental"), ("new-drift", "harbour-health")}
        card = json.dumps(teams)
        assert "on 2 customers: baltic-dental, harbour-health" in card and "languageCode" in card
        for name in ("broken", "silent"):
            assert len([p for p, _, _ in hook.posts if urls[name].endswith(p)]) == 1  # reported, never re-sent
        page = (tmp_path / "dashboard.html").read_text()
        assert all(f'data-customer="{s}"' in page for s in ("acme-iberia", "baltic-dental", "harbour-health",
                                                            "nordwind-logistik"))
        assert "The same change on 2 customers" in page
        everything = first.stdout + first.stderr + (tmp_path / "drift.json").read_text() + page
        assert_no_secret(everything, [u.split("/", 3)[3] for u in urls.values()], "the run's output and reports")

        # the same drift again: nothing new, so nothing is posted; the exit code is the drift's
        before = len(hook.posts)
        second = fleet(project, "drift", "--history", str(history), "--json", str(tmp_path / "again.json"),
                       "--html", str(tmp_path / "again.html"))
        assert second.returncode == 3, second.stdout + second.stderr
        assert len(hook.posts) == before
        again = json.loads((tmp_path / "again.json").read_text())
        assert {n["delivered"] for n in again["notifications"]} == {None}
        assert "notification teams (teams): nothing to send" in second.stdout
        assert [(p["drift"], p["new"]) for p in again["trend"]] == [(2, 2), (2, 0)]  # findings per run, kept
        assert 'id="trend"' in (tmp_path / "again.html").read_text()

    if os.environ.get("DASHBOARD_PNG"):
        from testkit.browser import screenshot

        screenshot(tmp_path / "dashboard.html", Path(os.environ["DASHBOARD_PNG"]))
