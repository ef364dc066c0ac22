"""Every built-in standard: a customer that follows it, one that violates it, one excepted, one whose exception expired."""

from __future__ import annotations

import datetime as dt
from datetime import date, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cloudlink_provider.standards import Customer, LiveFacts, evaluate, parse_standards
from cloudlink_provider.standards.builtin import BUILTINS
from cloudlink_provider.standards.evaluate import EXCEPTED, EXPIRED, FOLLOWS, NOT_APPLICABLE, UNKNOWN, VIOLATES
from cloudlink_provider.standards.facts import PendingUser

TODAY = date(2026, 12, 5)


def certificate(not_after: date) -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Azure AD SSO test")])
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    end = dt.datetime.combine(not_after, dt.time(12), tzinfo=dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(1).not_valid_before(start).not_valid_after(end).sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


GOOD_CERT = certificate(TODAY + timedelta(days=400))
SOON_CERT = certificate(TODAY + timedelta(days=10))
DEAD_CERT = certificate(TODAY - timedelta(days=2))


def sso(scim: bool = True, cert: str = GOOD_CERT) -> dict:
    return {"provider": "azure-ad", "issuerId": "https://sts.example/", "loginUrl": "https://login.example/",
            "certificate": cert, "scim": scim}


def pbx(type_: str = "mivoice-5000", users: int = 100, micollab: str | None = "9.7.10") -> dict:
    return {"type": type_, "host": "pbx.example", "port": 443, "username": "cl", "users": users, "bhcc": 0,
            "micollabVersion": micollab}


def spec(**blocks) -> dict:
    return {"account": {"name": "Customer"}, **blocks}


# standard id -> (params, a customer that follows it, one that violates it)
CASES = {
    "sso-and-sync": ({}, Customer("c", {}, spec(sso=sso())), Customer("c", {}, spec(sso=sso(scim=False)))),
    "teams-only-for-presence": (
        {}, Customer("c", {"presence": "needed"}, spec(teams={"tenantId": "t", "clientId": "c"})),
        Customer("c", {}, spec(teams={"tenantId": "t", "clientId": "c"}))),
    "micollab-call-history": ({}, Customer("c", {}, spec(pbx=pbx("mivoice-business", micollab="9.7"))),
                              Customer("c", {}, spec(pbx=pbx("mivoice-business", micollab="9.6")))),
    "pbx-user-capacity": ({"percent": 80}, Customer("c", {}, spec(pbx=pbx("mivoice-business", users=1999))),
                          Customer("c", {}, spec(pbx=pbx("mivoice-business", users=2000)))),
    "role-holders": ({"warnAt": 900}, Customer("c", {}, spec(pbx=pbx(), roles=[]), LiveFacts(role_holders=899)),
                     Customer("c", {}, spec(pbx=pbx(), roles=[]), LiveFacts(role_holders=900))),
    "sso-certificate-expiry": ({"warnDays": 30}, Customer("c", {}, spec(sso=sso(cert=GOOD_CERT))),
                               Customer("c", {}, spec(sso=sso(cert=GOOD_CERT)), LiveFacts(sso_certificate=SOON_CERT))),
    "pending-activation": (
        {"linkValidityDays": 4},
        Customer("c", {}, spec(users={"source": "pbx-directory"}),
                 LiveFacts(pending_users=[PendingUser("new@x.example", TODAY - timedelta(days=4))])),
        Customer("c", {}, spec(users={"source": "pbx-directory"}),
                 LiveFacts(pending_users=[PendingUser("late@x.example", TODAY - timedelta(days=5))]))),
}


def test_every_builtin_has_a_case_a_title_and_a_source():
    assert set(CASES) == set(BUILTINS)
    for b in BUILTINS.values():
        assert b.title and b.source


def _standards(sid: str, params: dict, exceptions: list | None = None):
    return parse_standards({"standards": {sid: {"mode": "alert", **params}}, "exceptions": exceptions or []},
                           customers={"c"})


def _finding(sid: str, params: dict, customer: Customer, exceptions: list | None = None):
    report = evaluate(_standards(sid, params, exceptions), [customer], TODAY)
    return report, report.customers[0].findings[0]


@pytest.mark.parametrize("sid", sorted(CASES))
def test_follows(sid):
    params, good, _bad = CASES[sid]
    report, finding = _finding(sid, params, good)
    assert finding.status == FOLLOWS, finding.messages
    assert report.exit_code == 0 and report.customers[0].score == 100


@pytest.mark.parametrize("sid", sorted(CASES))
def test_violates(sid):
    params, _good, bad = CASES[sid]
    report, finding = _finding(sid, params, bad)
    assert finding.status == VIOLATES and finding.messages
    assert report.exit_code == 5 and report.customers[0].score == 0
    assert report.tally(report.standards.standards[0]) == (0, 1)


@pytest.mark.parametrize("sid", sorted(CASES))
def test_excepted(sid):
    params, _good, bad = CASES[sid]
    exception = {"standard": sid, "customer": "c", "reason": "agreed with the customer (OPS-12)",
                 "expires": TODAY.isoformat()}  # the last day it still holds
    report, finding = _finding(sid, params, bad, [exception])
    assert finding.status == EXCEPTED
    assert "excepted until 2026-12-05: agreed with the customer (OPS-12)" in finding.text()
    assert report.exit_code == 0 and report.customers[0].score == 100


@pytest.mark.parametrize("sid", sorted(CASES))
def test_expired_exception_is_a_violation_again(sid):
    params, _good, bad = CASES[sid]
    exception = {"standard": sid, "select": "!nothing", "reason": "until the migration",
                 "expires": (TODAY - timedelta(days=1)).isoformat()}
    report, finding = _finding(sid, params, bad, [exception])
    assert finding.status == EXPIRED and finding.violated
    assert "exception expired on 2026-12-04: until the migration" in finding.text()
    assert report.exit_code == 5
    assert report.to_json()["customers"][0]["findings"][0]["exception"]["expires"] == "2026-12-04"


def test_thresholds_are_the_partners():
    params, _good, bad = CASES["pbx-user-capacity"]  # 2000 of 2500 = 80%
    assert _finding("pbx-user-capacity", {"percent": 81}, bad)[1].status == FOLLOWS
    soon = CASES["sso-certificate-expiry"][2]  # expires in 10 days
    assert _finding("sso-certificate-expiry", {"warnDays": 9}, soon)[1].status == FOLLOWS
    assert _finding("sso-certificate-expiry", {"warnDays": 10}, soon)[1].status == VIOLATES


def test_certificate_watch_reads_the_live_certificate_before_the_spec():
    customer = Customer("c", {}, spec(sso=sso(cert=DEAD_CERT)), LiveFacts(sso_certificate=GOOD_CERT))
    assert _finding("sso-certificate-expiry", {}, customer)[1].status == FOLLOWS
    from_spec = Customer("c", {}, spec(sso=sso(cert=DEAD_CERT)))
    finding = _finding("sso-certificate-expiry", {}, from_spec)[1]
    assert finding.status == VIOLATES and "expired on 2026-12-03" in finding.messages[0]
    assert "spec's" in finding.messages[0]


def test_not_applicable_and_cannot_judge_are_left_out_of_n_of_m():
    no_mivb = Customer("c", {}, spec(pbx=pbx("mivoice-5000", micollab=None)))
    report, finding = _finding("micollab-call-history", {}, no_mivb)
    assert finding.status == NOT_APPLICABLE and report.tally(report.standards.standards[0]) == (0, 0)
    no_live = Customer("c", {}, spec(users={"source": "pbx-directory"}))
    report, finding = _finding("pending-activation", {}, no_live)
    assert finding.status == UNKNOWN and report.customers[0].score == 100


def test_pending_message_names_the_resend_command():
    _params, _good, bad = CASES["pending-activation"]
    finding = _finding("pending-activation", {}, bad)[1]
    assert "`cloudlink fleet welcome-email --stacks c`" in finding.messages[0]
    assert "late@x.example" in finding.messages[0]


def test_selector_limits_a_standard():
    std = parse_standards({"standards": {"sso-and-sync": {"mode": "enforce", "select": "tier=gold"}}})
    gold, bronze = Customer("g", {"tier": "gold"}, spec()), Customer("b", {"tier": "bronze"}, spec())
    report = evaluate(std, [gold, bronze], TODAY)
    assert [f.status for c in report.customers for f in c.findings] == [NOT_APPLICABLE, VIOLATES]
    assert [len(c.blocking()) for c in report.customers] == [0, 1]
