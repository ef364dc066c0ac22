"""Notifications: the fleet file's targets, what each is told, the payloads against their published limits, and
the delivery to a real HTTP receiver on loopback (timeout, bounded retries, never raising, the URL never said)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import yaml

from cloudlink_provider.client import post_webhook
from cloudlink_provider.fleet.notify.deliver import send
from cloudlink_provider.fleet.notify.events import digest
from cloudlink_provider.fleet.notify.slack import slack_message
from cloudlink_provider.fleet.notify.teams import teams_card, teams_message
from cloudlink_provider.fleet.notify.webhook import webhook_payload
from cloudlink_provider.fleetfile import FleetFile, FleetFileError, Notification
from cloudlink_provider.passphrase import Passphrase
from testkit.payloads import card_errors, slack_violations
from testkit.receiver import Receiver
from testkit.reports import drift_report
from testkit.secrets import assert_no_secret

DEFAULT = ("new-drift", "new-failure", "resolved")
PHRASE = "notify-test-passphrase"


# -- what is said ------------------------------------------------------------------------------------------

def test_by_default_only_what_is_new_is_said_and_accepted_findings_never():
    report = drift_report(12)
    said = digest(report, DEFAULT)
    events = {(i.event, i.customer) for i in said.items}
    assert ("new-drift", "customer-006") in events and ("new-drift", "customer-002") in events
    assert not any(c == "customer-003" for _, c in events)  # its drift is still there: not new
    assert ("new-failure", "customer-005") in events and ("resolved", "customer-004") in events
    assert not any(c == "customer-008" for _, c in events)  # accepted by triage
    assert said.accepted == 1 and said.history
    everything = digest(report, ("drift", "failure", "resolved"))
    assert ("drift", "customer-003") in {(i.event, i.customer) for i in everything.items}
    gold = digest(report, ("drift",), select="tier=gold")
    assert {i.customer for i in gold.items} == {"customer-003", "customer-009"}


def test_without_history_every_finding_is_new():
    said = digest(drift_report(6, history=False), ("new-drift",))
    assert {i.customer for i in said.items} == {"customer-002", "customer-003", "customer-006"}
    assert not said.history and "every finding counts as new" in json.dumps(teams_card(said))


def test_the_same_change_on_many_customers_is_one_group():
    said = digest(drift_report(30), ("drift",))
    language = [g for g in said.groups() if "languageCode" in g.text]
    assert len(language) == 1 and len(language[0].customers) == 10  # 3, 6, ..., 30 (8 accepted, left out)
    assert set(language[0].new) == {c for c in language[0].customers if int(c[-3:]) % 2 == 0}


# -- the payloads against their published schema and limits -------------------------------------------------

@pytest.mark.parametrize("customers", [12, 3000])
def test_the_teams_card_is_a_valid_adaptive_card_1_5_within_teams_size(customers):
    report = drift_report(customers)
    for row in report["stacks"][::7]:  # many distinct causes: the card must stop before Teams' size limit
        for r in row["resources"]:
            r["description"] = f"account (cloudlink:Account): update name -> {row['stack']} " + "x" * 300
    message = teams_message(digest(report, ("drift", "failure", "resolved")))
    assert message["type"] == "message"
    [attachment] = message["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["version"] == "1.5" and card["type"] == "AdaptiveCard"
    assert card_errors(card) == []
    assert len(json.dumps(message)) < 28_000
    if customers > 12:
        assert "more finding group(s)" in json.dumps(card)


def test_the_schema_check_can_fail():
    card = teams_card(digest(drift_report(6), DEFAULT))
    card["body"][0]["size"] = "Enormous"
    assert card_errors(card)


@pytest.mark.parametrize("customers", [12, 3000])
def test_the_slack_message_keeps_block_kit_limits(customers):
    report = drift_report(customers)
    for row in report["stacks"]:  # one cause per customer: far more groups than 50 blocks allow
        for r in row["resources"]:
            r["description"] = f"account (cloudlink:Account): update name <{row['stack']}> & " + "y" * 4000
    message = slack_message(digest(report, ("drift", "failure", "resolved")))
    assert slack_violations(message) == []
    assert "&lt;customer-" in json.dumps(message)  # mrkdwn control characters escaped
    if customers > 12:
        assert "more finding group(s)" in message["blocks"][-2]["text"]["text"]


def test_the_limits_check_can_fail():
    message = slack_message(digest(drift_report(6), DEFAULT))
    message["blocks"] = message["blocks"] * 20
    message["blocks"][1] = {"type": "section", "text": {"type": "mrkdwn", "text": "z" * 3001}}
    assert len(slack_violations(message)) >= 2


def test_the_webhook_payload_lists_every_event():
    payload = webhook_payload(digest(drift_report(12), DEFAULT))
    assert payload["source"] == "cloudlink-fleet" and payload["version"] == 1 and payload["exitCode"] == 1
    assert {e["event"] for e in payload["events"]} == set(DEFAULT)
    assert all(set(e) == {"event", "customer", "labels", "text"} for e in payload["events"])


# -- the fleet file ----------------------------------------------------------------------------------------

def _fleet_file(tmp_path: Path, notifications) -> FleetFile:
    (tmp_path / "stacks").mkdir(exist_ok=True)
    (tmp_path / "stacks" / "fleet.yaml").write_text(yaml.safe_dump({"notifications": notifications}))
    return FleetFile(tmp_path / "stacks")


@pytest.mark.parametrize("entry, field", [
    ({"name": "t", "type": "email", "url": {"secure": "v1:x"}}, "notifications[0].type"),
    ({"name": "t", "type": "teams", "url": "https://hooks.example/abc"}, "notifications[0].url"),
    ({"name": "t", "type": "slack", "on": ["new-drift", "sometimes"]}, "notifications[0].on"),
    ({"name": "t", "type": "slack", "select": "tier in (gold"}, "notifications[0].select"),
    ({"name": "t", "type": "slack", "channel": "#ops"}, "notifications[0].channel"),
    ({"type": "slack"}, "notifications[0].name"),
    ({"name": "t", "type": "webhook", "timeoutSeconds": 0}, "notifications[0].timeoutSeconds"),
])
def test_a_bad_target_is_one_line_naming_file_and_field(tmp_path, entry, field):
    with pytest.raises(FleetFileError) as e:
        _fleet_file(tmp_path, [entry]).read()
    text = str(e.value)
    assert "\n" not in text and text.startswith(f"stacks/fleet.yaml: {field}")
    assert "hooks.example/abc" not in text


def test_a_target_without_its_url_stops_before_the_run(tmp_path):
    file = _fleet_file(tmp_path, [{"name": "ops", "type": "teams"}])
    assert file.read().notifications[0].on == DEFAULT
    with pytest.raises(FleetFileError, match=r"notifications\[0\]\.url: no URL for 'ops'; write it with "
                                             r"`cloudlink fleet set-notification-url ops`"):
        file.notification_urls(Passphrase(PHRASE))


def test_set_notification_url_encrypts_and_the_fleet_reads_it_back(tmp_path, monkeypatch):
    from io import StringIO

    from rich.console import Console

    from cloudlink_provider.cli import main

    url = "https://partner.webhook.office.com/workflows/abc123-secret-token"
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PHRASE)
    out, err = StringIO(), StringIO()
    monkeypatch.setattr("sys.stdin", StringIO(url + "\n"))
    code = main(["fleet", "set-notification-url", "ops-teams", "--type", "teams", "--project-dir", str(tmp_path)],
                Console(file=out, width=200), Console(file=err, width=200))
    assert code == 0, err.getvalue()
    text = (tmp_path / "stacks" / "fleet.yaml").read_text()
    assert_no_secret(text + out.getvalue() + err.getvalue(), [url, "abc123-secret-token"], "the fleet file and output")
    [(target, opened)] = FleetFile(tmp_path / "stacks").notification_urls(Passphrase(PHRASE))
    assert (target.name, target.type, opened, target.on) == ("ops-teams", "teams", url, DEFAULT)
    monkeypatch.setattr("sys.stdin", StringIO("https://hooks.slack.com/services/T/B/x\n"))
    code = main(["fleet", "set-notification-url", "nobody", "--project-dir", str(tmp_path)],
                Console(file=out, width=200), Console(file=err, width=200))
    assert code == 2 and "no notification target named 'nobody'" in err.getvalue()


# -- delivery to a real receiver -----------------------------------------------------------------------------

def test_a_delivery_reaches_the_receiver_as_json():
    with Receiver() as hook:
        result = post_webhook(hook.url("/ok/teams"), {"hello": "teams"}, timeout_s=5)
        assert result.delivered and result.attempts == 1 and result.error is None
        assert hook.bodies("/ok/teams") == [{"hello": "teams"}]
        [(_, headers, _)] = hook.posts
        assert headers["Content-Type"] == "application/json"


def test_a_500_is_reported_without_a_resend_and_a_503_is_retried_a_bounded_number_of_times():
    with Receiver() as hook:
        five_hundred = post_webhook(hook.url("/status/500"), {"n": 1}, timeout_s=5, attempts=3)
        unavailable = post_webhook(hook.url("/status/503"), {"n": 2}, timeout_s=5, attempts=3, max_wait_s=0.2)
        limited = post_webhook(hook.url("/status/429"), {"n": 3}, timeout_s=5, attempts=2, max_wait_s=0.2)
        counts = {p: len(hook.bodies(p)) for p in ("/status/500", "/status/503", "/status/429")}
    assert (five_hundred.delivered, five_hundred.error, five_hundred.attempts) == (False, "HTTP 500 Internal Server Error", 1)
    assert (unavailable.delivered, unavailable.attempts) == (False, 3)
    assert unavailable.error == "HTTP 503 Service Unavailable after 3 attempts"
    assert (limited.delivered, limited.attempts) == (False, 2)
    assert counts == {"/status/500": 1, "/status/503": 3, "/status/429": 2}


def test_a_receiver_that_never_answers_costs_a_bounded_time_and_no_resend():
    with Receiver() as hook:
        started = time.monotonic()
        result = post_webhook(hook.url("/hang/secret-path"), {"n": 1}, timeout_s=0.5, attempts=3)
        took = time.monotonic() - started
        assert len(hook.bodies("/hang/secret-path")) == 1
    assert not result.delivered and result.error == "no answer within 0.5s"
    assert took < 5
    assert_no_secret(result.error, ["secret-path"], "the delivery error")


def test_a_closed_port_is_reported_and_the_url_never_appears():
    with Receiver() as hook:
        url = hook.url("/ok/x?token=sekrit-value")
    result = post_webhook(url, {}, timeout_s=1, attempts=2, max_wait_s=0.1)  # the receiver is gone
    assert not result.delivered and result.attempts == 2
    assert result.error.startswith("could not connect")
    assert_no_secret(result.error, ["sekrit-value", url], "the delivery error")
    bad = post_webhook("not a url", {}, timeout_s=1)
    assert not bad.delivered and "not a url" not in (bad.error or "")


def test_each_target_gets_its_payload_and_one_failure_changes_nothing_else():
    report = drift_report(12)
    with Receiver() as hook:
        targets = [(Notification("teams", "teams", "v1:x", timeout_s=2), hook.url("/ok/teams")),
                   (Notification("slack", "slack", "v1:x", timeout_s=2), hook.url("/ok/slack")),
                   (Notification("broken", "webhook", "v1:x", timeout_s=2), hook.url("/status/500")),
                   (Notification("quiet", "webhook", "v1:x", on=("resolved",), select="tier=gold", timeout_s=2),
                    hook.url("/ok/quiet")),
                   (Notification("hook", "webhook", "v1:x", timeout_s=2), hook.url("/ok/hook"))]
        results = send(targets, report)
        [teams], [slack], [hook_body] = hook.bodies("/ok/teams"), hook.bodies("/ok/slack"), hook.bodies("/ok/hook")
        assert hook.bodies("/ok/quiet") == []
    assert [(r.name, r.delivered) for r in results] == [("teams", True), ("slack", True), ("broken", False),
                                                        ("quiet", None), ("hook", True)]
    assert results[2].error == "HTTP 500 Internal Server Error" and "NOT delivered" in results[2].line()
    assert card_errors(teams["attachments"][0]["content"]) == [] and slack_violations(slack) == []
    assert hook_body == webhook_payload(digest(report, DEFAULT))
    assert all("127.0.0.1" not in json.dumps(r.to_json()) for r in results)


def test_a_bare_on_key_reads_as_the_events_not_as_yaml_true(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "fleet.yaml").write_text("notifications:\n  - name: t\n    type: slack\n    on: [resolved]\n")
    file = FleetFile(tmp_path / "stacks")
    assert file.read().notifications[0].on == ("resolved",)
    file.save(file.load())
    assert "'on':" in file.path.read_text() and file.read().notifications[0].on == ("resolved",)


def test_a_refused_message_says_what_the_receiver_said_without_the_url():
    with Receiver() as hook:
        url = hook.url("/status/400?token=x-s3cret")
        result = post_webhook(url, {}, timeout_s=2)
    assert result.error == 'HTTP 400 Bad Request: {"error": "receiver told to fail"}' and result.attempts == 1
    assert_no_secret(result.error, ["x-s3cret"], "the delivery error")


def _finish(report, targets, monkeypatch, tmp_path):
    """cli._finish as a drift run ends: the notifications, the table, the files, the exit code."""
    from io import StringIO
    from types import SimpleNamespace

    import typer
    from rich.console import Console

    from cloudlink_provider import cli

    out, err = StringIO(), StringIO()
    monkeypatch.setattr(cli, "consoles", lambda: cli.Consoles(Console(file=out, width=200),
                                                               Console(file=err, width=200)))
    view = SimpleNamespace(print_report=lambda r: out.write("TABLE\n"))
    project = SimpleNamespace(env={}, stacks_dir=tmp_path)
    with pytest.raises(typer.Exit) as e:
        cli._finish(view, report, tmp_path / "r.json", None, project, [], targets=targets,
                    html_file=tmp_path / "d.html")
    return e.value.exit_code, out.getvalue(), err.getvalue()


def _drifted():
    from cloudlink_provider.fleet.report import DRIFTED, FleetReport, StackOutcome
    from testkit.reports import language_drift

    return FleetReport("drift", "file:///s", [StackOutcome("a", DRIFTED, {"update": 1}, [language_drift("a")])])


def test_a_failed_delivery_never_changes_the_exit_code_nor_hides_a_finding(monkeypatch, tmp_path):
    with Receiver() as hook:
        target = [(Notification("ops", "webhook", "v1:x", timeout_s=2), hook.url("/status/503"))]
        code, out, err = _finish(_drifted(), target, monkeypatch, tmp_path)
        assert len(hook.posts) == 3
    assert code == 3 and "TABLE" in out
    assert "notification ops (webhook) NOT delivered: HTTP 503 Service Unavailable after 3 attempts" in err
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["exitCode"] == 3 and data["stacks"][0]["resources"]
    assert data["notifications"] == [{"name": "ops", "type": "webhook", "events": 1, "delivered": False,
                                      "error": "HTTP 503 Service Unavailable after 3 attempts", "attempts": 3}]
    assert 'data-customer="a"' in (tmp_path / "d.html").read_text()


def test_an_interrupted_run_notifies_no_one(monkeypatch, tmp_path):
    report = _drifted()
    report.interrupted = True
    with Receiver() as hook:
        code, _, _ = _finish(report, [(Notification("ops", "webhook", "v1:x"), hook.url("/ok"))], monkeypatch,
                             tmp_path)
        assert hook.posts == []
    assert code == 130 and "notifications" not in json.loads((tmp_path / "r.json").read_text())
