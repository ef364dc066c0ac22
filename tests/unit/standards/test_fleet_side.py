"""The fleet's side: a customer from its stack config, live facts from the scan's refresh, and the report's
table, JSON and Markdown."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from cloudlink_provider.customer.model import parse_customer
from cloudlink_provider.fleet.report import FleetReport
from cloudlink_provider.fleet.standards import CustomerUnreadable, LiveReader, customer_from, standards_of
from cloudlink_provider.standards import parse_standards

TODAY = date(2026, 12, 5)
SPEC = {"account": {"name": "Nordwind", "languageCode": "de-DE"},
        "gateway": {"serialNumber": "CLGW-0001-AB", "type": "virtual", "name": "HAM-01"},
        "pbx": {"type": "mx-one", "host": "pbx.example", "port": 443, "username": "cl"},
        "users": {"extensions": ["2100"], "welcomeEmail": True}}


def test_customer_from_config():
    c = customer_from("nordwind", {"cloudlink-fleet:customer": SPEC, "cloudlink-fleet:labels": {"tier": "gold"}})
    assert c.labels == {"tier": "gold"} and c.get("pbx.users") == 0 and c.get("gateway.name") == "HAM-01"
    with pytest.raises(CustomerUnreadable, match="no customer spec"):
        customer_from("x", {})
    with pytest.raises(CustomerUnreadable, match="labels must be"):
        customer_from("x", {"cloudlink-fleet:customer": SPEC, "cloudlink-fleet:labels": {"wave": 3}})


def test_a_customer_in_a_project_is_its_effective_spec_and_labels(tmp_path):
    """Layered over the fleet file as the program and `--select` see it: profile labels and spec included."""
    (tmp_path / "fleet.yaml").write_text("defaults: {pbx: {port: 443, username: cl}}\n"
                                         "profiles:\n  gold: {labels: {tier: gold}, spec: {account: {languageCode: en-GB}}}\n")
    own = {**SPEC, "pbx": {"type": "mx-one", "host": "pbx.example"}, "account": {"name": "Nordwind"}}
    config = {"cloudlink-fleet:customer": own, "cloudlink-fleet:profiles": ["gold"],
              "cloudlink-fleet:labels": {"region": "eu"}}
    c = customer_from("nordwind", config, tmp_path)
    assert c.labels == {"tier": "gold", "region": "eu"}
    assert c.get("pbx.username") == "cl" and c.get("account.languageCode") == "en-GB"
    reader = LiveReader(stacks_dir=tmp_path)
    reader.observe("nordwind", config, parse_customer(SPEC), {}, None)
    assert reader.customers["nordwind"].labels == {"tier": "gold", "region": "eu"}
    with pytest.raises(CustomerUnreadable, match="nope"):
        customer_from("x", {**config, "cloudlink-fleet:profiles": ["nope"]}, tmp_path)


class Client:
    def __init__(self):
        self.calls: list[str] = []
        self.users = SimpleNamespace(list=self._users)
        self.roles = SimpleNamespace(list=self._roles)

    def _users(self, account_id):
        self.calls.append("users")
        return [SimpleNamespace(userId="u1", createdOn="2026-11-20T10:00:00Z"),
                SimpleNamespace(userId="u2", createdOn="2026-12-04T10:00:00Z")]

    def _roles(self, account_id):
        self.calls.append("roles")
        return iter([object()] * 950)


def test_live_reader_takes_the_refresh_and_reads_only_what_is_missing():
    reader, client = LiveReader(), Client()
    refreshed = {"account": ({}, {"accountId": "a1"}), "pbx": ({}, {}),
                 "users": ({}, {"users": [{"userId": "u1", "email": "late@x", "activated": False},
                                          {"userId": "u2", "email": "new@x", "activated": False},
                                          {"userId": "u3", "email": "done@x", "activated": True}]})}
    config = {"cloudlink-fleet:customer": SPEC}
    reader.observe("nordwind", config, parse_customer(SPEC), refreshed, client)
    live = reader.customers["nordwind"].live
    assert live.onboarded_users == 3 and live.role_holders == 950
    assert [(u.email, u.since) for u in live.pending_users] == [("late@x", date(2026, 11, 20)),
                                                                ("new@x", date(2026, 12, 4))]
    standards = parse_standards({"standards": {"pending-activation": {"mode": "alert"},
                                               "role-holders": {"mode": "report"}}})
    report = standards_of(standards, reader, {"broken": "cannot read stacks/Pulumi.broken.yaml"}, TODAY)
    [broken, nordwind] = report.customers
    assert broken.error and broken.score is None and report.exit_code == 1
    assert [f.standard for f in nordwind.violations] == ["pending-activation", "role-holders"]
    assert "1 user still pending activation" in nordwind.violations[0].messages[0]
    # nothing pending, no PBX roles: no extra GET
    quiet = Client()
    reader.observe("q", config, parse_customer({"account": {"name": "Q"}}), {"account": ({}, {"accountId": "a"})},
                   quiet)
    assert quiet.calls == []


def test_report_json_and_markdown_beside_drift():
    reader = LiveReader()
    reader.observe("nordwind", {"cloudlink-fleet:customer": SPEC}, parse_customer(SPEC), {}, None)
    standards = parse_standards({"standards": {"sso-and-sync": {"mode": "alert"}}, "rules": [
        {"id": "names", "title": "Gateway names are SITE-NN", "mode": "report",
         "require": {"gateway.name": {"matches": "[A-Z]{3}-\\d{2}"}}}]})
    report = standards_of(standards, reader, {}, TODAY)
    data = report.to_json()
    assert data["exitCode"] == 5
    assert [(s["id"], s["follow"], s["of"]) for s in data["standards"]] == [("sso-and-sync", 0, 1), ("names", 1, 1)]
    assert data["customers"][0]["score"] == 50
    md = report.to_markdown()
    assert "| Gateway names are SITE-NN (`names`) | report | 1 of 1 |" in md
    assert "| nordwind | 50% | **sso-and-sync** (alert): no Azure AD single sign-on" in md
    drift = FleetReport("drift", "file://x")
    drift.standards = report
    assert drift.to_json()["standards"]["customers"][0]["customer"] == "nordwind"
    assert drift.exit_code == 0  # standards beside drift do not change drift's exit code


def test_a_failed_live_read_fails_that_customers_standards_only():
    from cloudlink_provider.client.errors import ServerError

    class Failing(Client):
        def _roles(self, account_id):
            raise ServerError(503, "ServiceUnavailable", "try later", "c-1")

    reader = LiveReader()
    refreshed = {"account": ({}, {"accountId": "a1"}), "pbx": ({}, {})}
    reader.observe("nordwind", {"cloudlink-fleet:customer": SPEC}, parse_customer(SPEC), refreshed, Failing())
    assert "nordwind" not in reader.customers
    report = standards_of(parse_standards({"standards": {"sso-and-sync": {"mode": "report"}}}), reader, {}, TODAY)
    assert report.customers[0].error.startswith("reading live facts for the standards: ")
    assert report.exit_code == 1


def test_policy_mirror_words_findings_as_the_engine_and_hands_mandatory_ones_to_it(tmp_path):
    from cloudlink_provider.fleet.standards import PolicyMirror

    stacks = tmp_path / "stacks"
    stacks.mkdir()
    (stacks / "Pulumi.nordwind.yaml").write_text("config: {}\n")
    (stacks / "standards.yaml").write_text(
        "rules:\n"
        "  - {id: spanish, title: Served in Spanish, mode: enforce, require: {account.languageCode: es-ES}}\n"
        "  - {id: site-names, title: Gateway names follow Site N, mode: report,"
        " require: {gateway.name: {matches: 'Site [0-9]+'}}}\n")
    config = {"cloudlink-fleet:customer": SPEC}
    found, engine = PolicyMirror(stacks).judge("nordwind", config)
    assert [(p.standard, p.level) for p in found] == [("spanish", "mandatory"), ("site-names", "advisory")]
    assert found[0].message.startswith("Served in Spanish: ") and "de-DE" in found[0].message
    assert engine is not None and "(spanish)" in engine
    assert PolicyMirror(stacks).judge("nordwind", {}) == ([], None)  # no spec: check fails it, not the pack
    (stacks / "standards.yaml").write_text("rules: [{id: x}]\n")
    found, engine = PolicyMirror(stacks).judge("nordwind", config)
    assert found == [] and engine is not None and engine.startswith("the standards file does not load")
