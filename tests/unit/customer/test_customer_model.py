"""The customer spec: every rule fails with the field path and the rule in words."""

from __future__ import annotations

import copy
import glob
from pathlib import Path

import pytest

from cloudlink_provider.customer.model import SpecError, parse_customer, readiness_warnings
from cloudlink_provider.customer.rules import PBX_MODELS
from testkit.samples import sample_spec

ROOT = Path(__file__).resolve().parents[3]
GATEWAY = {"serialNumber": "CLGW-7F3A-0001", "type": "appliance", "name": "HQ"}


def pbx(kind: str, **extra) -> dict:
    return {"type": kind, "host": "pbx.example", "port": 443, "username": "cl", **extra}


def spec(**blocks) -> dict:
    return {"account": {"name": "ACME"}, **blocks}


def problems(data: dict) -> list[str]:
    with pytest.raises(SpecError) as e:
        parse_customer(data)
    return e.value.problems


@pytest.mark.parametrize("kind,users,bhcc", [(k, m.max_users, m.max_bhcc) for k, m in PBX_MODELS.items()])
def test_capacity_table_limits_are_inclusive(kind, users, bhcc):
    parse_customer(spec(gateway=GATEWAY, pbx=pbx(kind, users=users, bhcc=bhcc)))
    assert problems(spec(gateway=GATEWAY, pbx=pbx(kind, users=users + 1))) == [
        f"customer.pbx.users: {users + 1} planned users exceed the {PBX_MODELS[kind].title} capacity of {users}"]
    assert problems(spec(gateway=GATEWAY, pbx=pbx(kind, bhcc=bhcc + 1)))[0].startswith("customer.pbx.bhcc:")


def test_capacity_numbers_are_the_briefs():
    assert {k: (m.max_users, m.max_bhcc) for k, m in PBX_MODELS.items()} == {
        "mivoice-office-400": (800, 4200), "mivoice-5000": (5000, 16000),
        "mx-one": (5000, 15000), "mivoice-business": (2500, 12000)}


@pytest.mark.parametrize("kind,role", [("mivoice-5000", "CTI"), ("mx-one", "USER")])
def test_roles_only_the_pbx_types_role(kind, role):
    parse_customer(spec(gateway=GATEWAY, pbx=pbx(kind), roles=[{"extension": "2001", "role": role}]))
    wrong = "USER" if role == "CTI" else "CTI"
    assert problems(spec(gateway=GATEWAY, pbx=pbx(kind), roles=[{"extension": "2001", "role": wrong}])) == [
        f"customer.roles[0].role: {PBX_MODELS[kind].title} users take role {role}, not {wrong}"]


@pytest.mark.parametrize("kind", ["mivoice-office-400", "mivoice-business"])
def test_no_roles_on_other_pbx_types(kind):
    [line] = problems(spec(gateway=GATEWAY, pbx=pbx(kind), roles=[{"extension": "2001", "role": "CTI"}]))
    assert line.startswith("customer.roles: ") and "take no CloudLink role" in line


def test_role_extensions_unique_and_at_most_1000():
    dup = [{"extension": "2001", "role": "CTI"}] * 2
    assert problems(spec(gateway=GATEWAY, pbx=pbx("mivoice-5000"), roles=dup)) == [
        "customer.roles[1].extension: extension 2001 is listed twice"]
    many = [{"extension": str(10000 + i), "role": "CTI"} for i in range(1001)]
    assert problems(spec(gateway=GATEWAY, pbx=pbx("mivoice-5000"), roles=many)) == [
        "customer.roles: 1001 role holders exceed the limit of 1000 per account"]
    parse_customer(spec(gateway=GATEWAY, pbx=pbx("mivoice-5000"), roles=many[:1000]))


def test_teams_guids_and_bidirectional_needs_mivoice_business():
    teams = {"tenantId": "not-a-guid", "clientId": "3F2E1D0C-9B8A-4765-8432-10FEDCBA9876"}
    [line] = problems(spec(gateway=GATEWAY, pbx=pbx("mivoice-business"), teams=teams))
    assert line.startswith("customer.teams.tenantId: must be a GUID")
    good = {**teams, "tenantId": "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f", "mode": "bidirectional"}
    parsed = parse_customer(spec(gateway=GATEWAY, pbx=pbx("mivoice-business"), teams=good))
    assert parsed.teams.clientId == "3f2e1d0c-9b8a-4765-8432-10fedcba9876"  # normalised
    assert problems(spec(gateway=GATEWAY, pbx=pbx("mx-one"), teams=good)) == [
        "customer.teams.mode: bidirectional presence needs MiVoice Business (this customer has MiVoice MX-ONE)"]
    assert problems(spec(teams=good))[0].startswith("customer.teams: Teams presence needs a connected PBX")


def test_sso_urls_and_certificate():
    sso = {"issuerId": "https://sts.windows.net/x/", "loginUrl": "http://login.example/saml2",
           "certificate": "not a certificate"}
    assert sorted(problems(spec(sso=sso))) == [
        "customer.sso.certificate: certificates must be one or more PEM blocks (-----BEGIN CERTIFICATE----- ... "
        "-----END CERTIFICATE-----) and nothing else",
        "customer.sso.loginUrl: 'http://login.example/saml2' must be an https URL"]
    fake_body = "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END CERTIFICATE-----\n"
    assert problems(spec(sso={**sso, "loginUrl": "https://login.example/saml2", "certificate": fake_body})) == [
        "customer.sso.certificate: a certificate is not a DER-encoded X.509 certificate"]


def test_unknown_keys_are_rejected_by_path():
    data = spec(gateway={**GATEWAY, "serial": "x"})
    data["account"]["colour"] = "red"
    assert sorted(problems(data)) == [
        "customer.account.colour: unknown key (check the spelling; keys are camelCase)",
        "customer.gateway.serial: unknown key (check the spelling; keys are camelCase)"]


def test_pbx_needs_a_gateway_and_enums_are_named():
    assert problems(spec(pbx=pbx("mx-one"))) == ["customer.pbx: a PBX connects through a gateway; add a gateway block"]
    [line] = problems(spec(gateway={**GATEWAY, "type": "hardware"}))
    assert line == ("customer.gateway.type: 'hardware' is not one of "
                    "'appliance', 'virtual', 'embedded-smbc' or 'mbg'")


def test_micollab_readiness_is_warnings_not_errors():
    s = parse_customer(spec(gateway=GATEWAY, pbx=pbx("mivoice-business", micollabVersion="9.6")))
    warnings = readiness_warnings(s)
    assert any("9.7.10+" in w for w in warnings) and any("Call History" in w for w in warnings)
    assert readiness_warnings(parse_customer(spec(gateway=GATEWAY, pbx=pbx("mx-one", micollabVersion="9.8")))) == []


def test_every_sample_stack_is_valid():
    files = sorted(glob.glob(str(ROOT / "stacks" / "Pulumi.*.yaml")))
    assert len(files) == 4
    types = set()
    for f in files:
        customer = sample_spec(Path(f).name[len("Pulumi."):-len(".yaml")])  # layered over stacks/fleet.yaml
        types.add(customer.pbx.type)
    assert types == set(PBX_MODELS)


def test_spec_is_frozen_against_accidental_mutation():
    s = parse_customer(spec())
    with pytest.raises(Exception):
        s.account.name = "other"  # type: ignore[misc]
    assert copy.deepcopy(s) == s


@pytest.mark.parametrize("data, line", [
    (spec(account={"name": "   "}), "customer.account.name: must not be blank"),
    (spec(account={"name": "A", "adoptAccountId": ""}), "customer.account.adoptAccountId: must be the id of"),
    (spec(account={"name": "A", "adoptAccountId": "  "}), "customer.account.adoptAccountId: must be the id of"),
    (spec(gateway={**GATEWAY, "name": " \t"}), "customer.gateway.name: must not be blank"),
    (spec(gateway=GATEWAY, pbx=pbx("mx-one", username="  ")), "customer.pbx.username: must not be blank"),
    (spec(sso={"issuerId": " ", "loginUrl": "https://login.example/saml2", "certificate": "x"}),
     "customer.sso.issuerId: must not be blank"),
])
def test_blank_text_and_empty_ids_are_rejected_by_name(data, line):
    assert any(p.startswith(line) for p in problems(data)), problems(data)


@pytest.mark.parametrize("gateway_type, kind, words", [
    ("embedded-smbc", "mx-one", "a gateway embedded in an SMB Controller (gateway type embedded-smbc) cannot run "
                                "beside MiVoice MX-ONE; it serves MiVoice Office 400 or MiVoice Business only"),
    ("embedded-smbc", "mivoice-5000", "cannot run beside MiVoice 5000"),
    ("mbg", "mivoice-5000", "a gateway embedded in a MiVoice Border Gateway (gateway type mbg) cannot run beside "
                            "MiVoice 5000"),
])
def test_unsupported_gateway_pbx_pairings_say_what_is_allowed(gateway_type, kind, words):
    [line] = problems(spec(gateway={**GATEWAY, "type": gateway_type}, pbx=pbx(kind)))
    assert line.startswith("customer.pbx.type: ") and words in line


def test_every_pairing_the_table_allows_parses_and_smbc_caps_mivoice_business_at_150_users():
    from cloudlink_provider.customer.rules import PAIRINGS
    for gateway_type, pairing in PAIRINGS.items():
        assert pairing.source  # each rule says where it comes from
        for kind, model in PBX_MODELS.items():
            data = spec(gateway={**GATEWAY, "type": gateway_type}, pbx=pbx(kind))
            if model.api_type in pairing.pbx_types:
                parse_customer(data)
            else:
                assert problems(data)
    smbc = {**GATEWAY, "type": "embedded-smbc"}
    parse_customer(spec(gateway=smbc, pbx=pbx("mivoice-business", users=150)))
    assert problems(spec(gateway=smbc, pbx=pbx("mivoice-business", users=151))) == [
        "customer.pbx.users: 151 planned users exceed what MiVoice Business supports with a gateway embedded in "
        "an SMB Controller: at most 150 UC users"]


def test_one_path_notation_and_no_regular_expressions_in_messages():
    data = spec(gateway=GATEWAY, pbx=pbx("mivoice-5000", micollabVersion="nine"),
                roles=[{"extension": "20x", "role": "CTI"}])
    data["account"]["domain"] = "ACME"
    data["gateway"] = {**GATEWAY, "serialNumber": "bad serial"}
    lines = problems(data)
    assert "customer.roles[0].extension: '20x' is not an extension of 2 to 10 digits" in lines
    for line in lines:
        assert ".0." not in line and "^" not in line and "{" not in line, line
