"""The pure plan: a customer spec -> resources with their type, inputs and dependencies, no engine."""

from __future__ import annotations

import pytest

from cloudlink_provider.customer.model import parse_customer
from cloudlink_provider.fleet.engine.env import PROJECT_ROOT
from cloudlink_provider.plan import RESOURCE_TYPES, Join, MissingSecret, Ref, SecretRef, plan
from testkit import samples

SAMPLES = sorted((PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml"))


def sample_spec(path):
    return samples.sample_spec(path.name[len("Pulumi."):-len(".yaml")])


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_every_sample_plans_one_resource_per_block_in_dependency_order(path):
    spec = sample_spec(path)
    planned = plan(spec, {"pbxPassword", "teamsClientSecret"})
    blocks = [b for b in ("account", "gateway", "pbx", "roles", "teams", "sso", "users") if getattr(spec, b)]
    assert list(planned.resources) == blocks
    seen: set[str] = set()
    for name, resource in planned.resources.items():
        assert resource.type in RESOURCE_TYPES and resource.type.startswith("cloudlink:")
        assert set(resource.depends_on) <= seen, f"{name} depends on something registered later"
        seen.add(name)


def test_inputs_are_the_spec_fields_plus_references_to_ids():
    spec = parse_customer({
        "account": {"name": "Acme"},
        "gateway": {"serialNumber": "CLGW-0001", "type": "appliance", "name": "HQ"},
        "pbx": {"type": "mx-one", "host": "pbx.acme.example", "port": 443, "username": "cl"},
        "roles": [{"extension": "2010", "role": "USER"}, {"extension": "201", "role": "USER"}]})
    planned = plan(spec, {"pbxPassword"}).resources
    assert planned["account"].inputs == spec.account.model_dump() and planned["account"].depends_on == ()
    assert planned["gateway"].inputs == {**spec.gateway.model_dump(), "accountId": Ref("account")}
    pbx = planned["pbx"]
    assert pbx.inputs["gatewayId"] == Ref("gateway") and pbx.inputs["password"] == SecretRef("pbxPassword")
    assert pbx.depends_on == ("account", "gateway")
    # every reference is an id: ids stay known through an in-place update, so no phantom replacements
    for resource in planned.values():
        assert all(v.output == "id" for v in resource.inputs.values() if isinstance(v, Ref))
    # the PBX link id is composed from known ids, and roles wait for the link explicitly
    assert planned["roles"].inputs["pbxConnectionId"] == Join((Ref("account"), "/", Ref("gateway")))
    assert planned["roles"].depends_on == ("account", "gateway", "pbx")
    assert planned["roles"].inputs["roles"] == [{"extension": "201", "role": "USER"},
                                                {"extension": "2010", "role": "USER"}]


def test_a_missing_secret_names_the_command_and_none_means_do_not_judge():
    spec = parse_customer({"account": {"name": "Acme"},
                           "gateway": {"serialNumber": "CLGW-0001", "type": "appliance", "name": "HQ"},
                           "pbx": {"type": "mx-one", "host": "pbx.acme.example", "port": 443, "username": "cl"}})
    with pytest.raises(MissingSecret) as e:
        plan(spec, set(), "acme")
    assert "pulumi config set --secret pbxPassword --stack acme" in str(e.value)
    assert "pbx" in plan(spec, None).resources


def test_users_come_after_what_brings_them_with_the_pbx_capacity():
    base = {"account": {"name": "Acme"},
            "gateway": {"serialNumber": "CLGW-0001", "type": "appliance", "name": "HQ"},
            "pbx": {"type": "mivoice-office-400", "host": "pbx.acme.example", "port": 7001, "username": "cl"}}
    from_pbx = plan(parse_customer({**base, "users": {"extensions": ["2001"]}}), {"pbxPassword"})
    users = from_pbx.resources["users"]
    assert users.type == "cloudlink:UserOnboarding" and users.depends_on == ("account", "gateway", "pbx")
    # `after` is the link's id composed from ids known while the link is re-created: no phantom change
    assert users.inputs["after"] == Join((Ref("account"), "/", Ref("gateway")))
    assert (users.inputs["extensions"], users.inputs["welcomeEmail"], users.inputs["application"]) == (
        ["2001"], True, "mitel-assistant")
    assert (users.inputs["maxUsers"], users.inputs["pbxTitle"], users.inputs["requireName"]) == (
        800, "MiVoice Office 400", True)
    assert from_pbx.exports["users"] == Ref("users", "summary")
    cert = samples.sample_spec_raw("acme-iberia")["sso"]
    synced = plan(parse_customer({**base, "sso": cert, "users": {"source": "azure-ad-sync"}}), {"pbxPassword"})
    assert synced.resources["users"].depends_on == ("account", "sso")
    assert synced.resources["users"].inputs["after"] == Ref("account")  # = the SSO integration's id
    assert synced.resources["users"].inputs["welcomeEmail"] is False
    assert synced.resources["users"].inputs["maxUsers"] is None
