"""Engine events -> field-level changes, drift classification, and no secret ever let through."""

from __future__ import annotations

from typing import Any

from pulumi.automation import EngineEvent

from cloudlink_provider.fleet.events import SECRET, EventCollector, mask
from cloudlink_provider.pulumi_facts import SECRET_SIG, SIG_KEY, UNKNOWN
from cloudlink_provider.fleet.report import CANCELLED, CHANGED, DRIFTED, FAILED, UNCHANGED
from cloudlink_provider.fleet.commands.run import RunOptions, classify, failure_reason
from cloudlink_provider.fleet.engine.gateway import EngineFailed, EngineResult, engine_failed

ACCOUNT = "urn:pulumi:acme::cloudlink-fleet::pulumi-python:dynamic/cloudlink:Account::account"
ACCOUNT_TYPE = "pulumi-python:dynamic/cloudlink:Account"
PROVIDER = "urn:pulumi:acme::cloudlink-fleet::pulumi:providers:pulumi-python::default"
SECRET_VALUE = {SIG_KEY: SECRET_SIG, "ciphertext": "[secret]"}


def state(urn: str, type_: str, inputs: dict[str, Any], outputs: dict[str, Any] | None = None,
          id_: str = "acc-1") -> dict[str, Any]:
    return {"urn": urn, "type": type_, "id": id_, "inputs": inputs, "outputs": outputs or inputs}


def step(kind: str, op: str, urn: str = ACCOUNT, type_: str = ACCOUNT_TYPE, old: dict | None = None,
         new: dict | None = None, **extra: Any) -> EngineEvent:
    md = {"op": op, "urn": urn, "type": type_, "provider": "", **extra}
    if old is not None:
        md["old"] = old
    if new is not None:
        md["new"] = new
    return EngineEvent.from_json({"sequence": 1, "timestamp": 0, kind: {"metadata": md, "planning": True}})


def summary(**changes: int) -> EngineEvent:
    return EngineEvent.from_json({"summaryEvent": {"resourceChanges": changes}})


def diagnostic(message: str, severity: str = "error") -> EngineEvent:
    return EngineEvent.from_json({"diagnosticEvent": {"message": message, "color": "never", "severity": severity}})


def drift_events() -> list[EngineEvent]:
    """What `preview --refresh` emits after someone changed the domain in the console."""
    desired = {"__provider": "gASV...", "name": "ACME", "domain": "acme.example"}
    live = {**desired, "domain": "evil.example"}
    recorded_out = {**desired, "accountId": "acc-1"}
    live_out = {**live, "accountId": "acc-1"}
    return [
        step("resOutputsEvent", "refresh", old=state(ACCOUNT, ACCOUNT_TYPE, desired, recorded_out),
             new=state(ACCOUNT, ACCOUNT_TYPE, live, live_out)),
        step("resourcePreEvent", "update", old=state(ACCOUNT, ACCOUNT_TYPE, live, live_out),
             new=state(ACCOUNT, ACCOUNT_TYPE, desired, {})),
        summary(same=1, update=1),
    ]


def collect(events: list[EngineEvent], secret_keys: set[str] = frozenset()) -> EventCollector:
    collector = EventCollector(secret_keys)
    for event in events:
        collector(event)
    return collector


def test_drift_names_the_field_its_live_and_desired_value_and_that_it_changed_outside():
    collector = collect(drift_events())
    [change] = collector.changes()
    assert (change.type, change.name, change.op) == ("cloudlink:Account", "account", "update")
    assert [(f.field, f.old, f.new) for f in change.fields] == [("domain", "evil.example", "acme.example")]
    assert [(f.field, f.old, f.new) for f in change.outside] == [("domain", "acme.example", "evil.example")]
    assert collector.counts() == {"create": 0, "adopt": 0, "update": 1, "replace": 0, "delete": 0, "same": 1}


def test_the_engines_own_diff_keys_win_over_comparing_inputs():
    old = state(ACCOUNT, ACCOUNT_TYPE, {"name": "A", "domain": "a.example", "languageCode": "en-GB"})
    new = state(ACCOUNT, ACCOUNT_TYPE, {"name": "B", "domain": "b.example", "languageCode": "en-GB"})
    [change] = collect([step("resourcePreEvent", "update", old=old, new=new, diffs=["name"])]).changes()
    assert [f.field for f in change.fields] == ["name"]
    detailed = {"domain": {"diffKind": "update", "inputDiff": True}}
    [change] = collect([step("resourcePreEvent", "update", old=old, new=new, detailedDiff=detailed)]).changes()
    assert [f.field for f in change.fields] == ["domain"]


def test_a_resource_deleted_outside_pulumi_is_planned_for_re_creation():
    gone = step("resOutputsEvent", "refresh", old=state(ACCOUNT, ACCOUNT_TYPE, {"name": "A"}))
    create = step("resourcePreEvent", "create", new=state(ACCOUNT, ACCOUNT_TYPE, {"name": "A"}, id_=""))
    [change] = collect([gone, create, summary(create=1, same=1)]).changes()
    assert change.op == "create" and change.deleted_outside


def test_engine_marked_secrets_secure_config_keys_and_secret_sounding_fields_are_masked():
    assert mask({"a": [1, SECRET_VALUE], "b": {"c": SECRET_VALUE}}) == {"a": [1, SECRET], "b": {"c": SECRET}}
    old = state(ACCOUNT, ACCOUNT_TYPE, {"name": "A", "teamsSecret": SECRET_VALUE, "pbxPassword": "hunter2",
                                        "token": "abc"})
    new = state(ACCOUNT, ACCOUNT_TYPE, {"name": "B", "teamsSecret": SECRET_VALUE, "pbxPassword": "hunter3",
                                        "token": "abd"})
    provider_old = state(PROVIDER, "pulumi:providers:pulumi-python",
                         {"cloudlink:clientSecret": "plain-old", "cloudlink:endpoint": "http://a"})
    provider_new = state(PROVIDER, "pulumi:providers:pulumi-python",
                         {"cloudlink:clientSecret": "plain-new", "cloudlink:endpoint": "http://b"})
    collector = collect([step("resourcePreEvent", "update", old=old, new=new),
                         step("resourcePreEvent", "replace", urn=PROVIDER, type_="pulumi:providers:pulumi-python",
                              old=provider_old, new=provider_new)],
                        secret_keys={"cloudlink:clientSecret", "cloudlink-fleet:pbxPassword"})
    text = repr([c.to_json() for c in collector.changes()])
    for plaintext in ("hunter2", "hunter3", "abc", "abd", "plain-old", "plain-new", "ciphertext"):
        assert plaintext not in text
    fields = {f.field: (f.old, f.new) for c in collector.changes() for f in c.fields}
    assert fields["pbxPassword"] == (SECRET, SECRET) and fields["cloudlink:clientSecret"] == (SECRET, SECRET)
    assert fields["name"] == ("A", "B") and fields["cloudlink:endpoint"] == ("http://a", "http://b")


def test_the_stack_and_default_provider_creation_are_not_reported_as_customer_resources():
    collector = collect([
        step("resourcePreEvent", "create", urn=PROVIDER, type_="pulumi:providers:pulumi-python",
             new=state(PROVIDER, "pulumi:providers:pulumi-python", {})),
        step("resourcePreEvent", "same", urn="urn:pulumi:acme::p::pulumi:pulumi:Stack::p-acme",
             type_="pulumi:pulumi:Stack", new=state("s", "pulumi:pulumi:Stack", {})),
        step("resourcePreEvent", "same", new=state(ACCOUNT, ACCOUNT_TYPE, {"name": "A"}))])
    assert collector.changes() == [] and not collector.has_changes()


def command_error(stderr: str) -> EngineFailed:
    return engine_failed(EngineResult(("preview",), "Previewing update (acme):", stderr, 255))


def test_drift_is_the_expected_no_changes_error_with_changes_and_no_error_diagnostics():
    options = RunOptions("drift", parallel=1)
    error = command_error("error: no changes were expected but changes were proposed")
    assert classify("acme", options, collect(drift_events()), error, False).status == DRIFTED
    broken = collect([*drift_events(), diagnostic("invalid customer spec:\n  - customer.account.name")])
    outcome = classify("acme", options, broken, error, False)
    assert outcome.status == FAILED and "customer.account.name" in outcome.error


def test_status_per_operation():
    clean = collect([step("resourcePreEvent", "same", new=state(ACCOUNT, ACCOUNT_TYPE, {})), summary(same=2)])
    assert classify("a", RunOptions("drift", parallel=1), clean, None, False).status == UNCHANGED
    assert classify("a", RunOptions("preview", parallel=1), collect(drift_events()), None, False).status == CHANGED
    expect = RunOptions("preview", parallel=1, expect_no_changes=True)
    assert classify("a", expect, collect(drift_events()), None, False).status == DRIFTED
    interrupted = classify("a", RunOptions("up", parallel=1), clean, command_error("error: update canceled"), True)
    assert interrupted.status == CANCELLED and "update canceled" in interrupted.error


def test_failure_reason_prefers_engine_diagnostics_then_the_clis_error_lines():
    locked = failure_reason(command_error("warning: x\nerror: the stack is currently locked by 1 lock(s)"),
                            EventCollector(), "acme").splitlines()
    assert locked == ["the stack is currently locked by 1 lock(s)",
                      "what to do: a killed run left its lock: `cloudlink fleet recover --stacks acme`, "
                      "then `cloudlink fleet up`"]
    assert failure_reason(ValueError("boom"), EventCollector()) == "boom"
    assert failure_reason(command_error("error: x"), collect([diagnostic("program failed")])) == "program failed"
    assert failure_reason(command_error(""), collect([diagnostic("just a warning", "warning")])) != ""


GATEWAY = "urn:pulumi:acme::cloudlink-fleet::pulumi-python:dynamic/cloudlink:Gateway::gateway"
GATEWAY_TYPE = "pulumi-python:dynamic/cloudlink:Gateway"


def test_the_engine_placeholder_never_shows_a_value_not_known_yet_reads_known_after_up():
    from cloudlink_provider.fleet.report import describe_resource
    old = {"serialNumber": "CLGW-0001", "accountId": "acc-1", "tags": ["a", UNKNOWN]}
    new = {"serialNumber": "CLGW-0001", "accountId": UNKNOWN, "tags": ["a", UNKNOWN]}
    collector = collect([step("resourcePreEvent", "replace", urn=GATEWAY, type_=GATEWAY_TYPE,
                              old=state(GATEWAY, GATEWAY_TYPE, old), new=state(GATEWAY, GATEWAY_TYPE, new, {}),
                              diffs=["accountId"]),
                         summary(replace=1)])
    [change] = collector.changes()
    assert change.fields[0].to_json() == {"field": "accountId", "old": "acc-1", "new": "(known after up)"}
    assert describe_resource(change) == 'gateway (cloudlink:Gateway): replace accountId "acc-1" -> (known after up)'
    assert mask({"x": [UNKNOWN]}) == {"x": ["(known after up)"]}


def test_an_adopted_account_and_the_creates_of_its_run_are_adoptions_in_ops_and_counts():
    adopt_in = {"name": "ACME", "adoptAccountId": "acc-1"}
    stack = "urn:pulumi:acme::cloudlink-fleet::pulumi:pulumi:Stack::cloudlink-fleet-acme"
    collector = collect([step("resourcePreEvent", "create", urn=stack, type_="pulumi:pulumi:Stack"),
                         step("resourcePreEvent", "create", new=state(ACCOUNT, ACCOUNT_TYPE, adopt_in, {})),
                         step("resourcePreEvent", "create", urn=GATEWAY, type_=GATEWAY_TYPE,
                              new=state(GATEWAY, GATEWAY_TYPE, {"serialNumber": "CLGW-0001"}, {})),
                         summary(create=3)])  # the stack itself is the third create: not counted
    assert [c.op for c in collector.changes()] == ["adopt", "adopt"]
    assert collector.counts() == {"create": 0, "adopt": 2, "update": 0, "replace": 0, "delete": 0, "same": 0}
    plain = collect([step("resourcePreEvent", "create", new=state(ACCOUNT, ACCOUNT_TYPE, {"name": "ACME"}, {})),
                     summary(create=2)])
    assert [c.op for c in plain.changes()] == ["create"] and plain.counts()["adopt"] == 0


def test_a_default_provider_taking_new_stack_config_is_not_a_customer_change():
    old = state(PROVIDER, "pulumi:providers:pulumi-python", {"cloudlink-fleet:customer": "{...}"})
    new = state(PROVIDER, "pulumi:providers:pulumi-python", {"cloudlink-fleet:customer": "{....}"})
    collector = collect([step("resourcePreEvent", "update", urn=PROVIDER, type_="pulumi:providers:pulumi-python",
                              old=old, new=new), summary(same=2)])
    assert collector.changes() == [] and not collector.has_changes()


def test_a_delete_before_replace_lists_the_fields_that_differ_not_every_input():
    pbx = "urn:pulumi:acme::cloudlink-fleet::pulumi-python:dynamic/cloudlink:PbxConnection::pbx"
    pbx_type = "pulumi-python:dynamic/cloudlink:PbxConnection"
    old = {"type": "mx-one", "host": "h", "gatewayId": "gw-1"}
    new = {"type": "mx-one", "host": "h", "gatewayId": UNKNOWN}
    collector = collect([step("resourcePreEvent", "delete-replaced", urn=pbx, type_=pbx_type,
                              old=state(pbx, pbx_type, old)),
                         step("resourcePreEvent", "replace", urn=pbx, type_=pbx_type, old=state(pbx, pbx_type, old),
                              new=state(pbx, pbx_type, new, {})),
                         step("resourcePreEvent", "create-replacement", urn=pbx, type_=pbx_type,
                              old=state(pbx, pbx_type, old), new=state(pbx, pbx_type, new, {})),
                         summary(replace=1)])
    [change] = collector.changes()
    assert change.op == "replace" and [f.field for f in change.fields] == ["gatewayId"]
