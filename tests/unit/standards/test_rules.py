"""The partner's own rules: the declarative condition form, over spec paths, labels and live facts."""

from __future__ import annotations

from datetime import date

import pytest

from cloudlink_provider.standards import Customer, LiveFacts, evaluate, parse_standards
from cloudlink_provider.standards.evaluate import FOLLOWS, NOT_APPLICABLE, UNKNOWN, VIOLATES
from cloudlink_provider.standards.facts import PendingUser

TODAY = date(2026, 12, 5)


def judge(rule: dict, customer: Customer, live_reads: bool = True):
    standards = parse_standards({"rules": [{"id": "r", "title": "a rule", "mode": "alert", **rule}]})
    return evaluate(standards, [customer], TODAY, live_reads=live_reads).customers[0].findings[0]


def c(labels=None, live=None, **spec):
    return Customer("acme-iberia", labels or {}, {"account": {"name": "ACME", "languageCode": "es-ES"}, **spec}, live)


@pytest.mark.parametrize("require, status", [
    ({"account.languageCode": "es-ES"}, FOLLOWS),
    ({"account.languageCode": {"equals": "de-DE"}}, VIOLATES),
    ({"account.languageCode": {"notEquals": "de-DE"}}, FOLLOWS),
    ({"account.languageCode": {"in": ["es-ES", "ca-ES"]}}, FOLLOWS),
    ({"account.languageCode": {"notIn": ["es-ES"]}}, VIOLATES),
    ({"account.languageCode": {"matches": "es-.*"}}, FOLLOWS),
    ({"account.languageCode": {"matches": "es"}}, VIOLATES),  # the whole value must match
    ({"sso": {"exists": False}}, FOLLOWS),
    ({"sso.scim": True}, VIOLATES),  # no sso block: not set
    ({"pbx.micollabVersion": {"atLeast": "9.7"}}, FOLLOWS),
    ({"pbx.micollabVersion": {"atMost": "9.6"}}, VIOLATES),
    ({"pbx.users": {"atMost": 1000}}, FOLLOWS),
    ({"roles": {"atMost": 1}}, VIOLATES),  # a list: its length
    ({"gateway.name": {"matches": "[A-Z]{3,5}-\\d{2}"}}, FOLLOWS),
    ({"name": {"matches": "acme-.*"}}, FOLLOWS),
    ({"labels.tier": "gold"}, VIOLATES),
])
def test_each_test(require, status):
    customer = c(pbx={"type": "mivoice-5000", "users": 500, "micollabVersion": "9.7.10"},
                 roles=[{"extension": "2001"}, {"extension": "2002"}], gateway={"name": "MAD-01"})
    assert judge({"require": require}, customer).status == status


def test_violation_says_what_was_expected_and_found():
    finding = judge({"require": {"account.languageCode": {"matches": "de-.*"}}}, c())
    assert finding.messages == ["expected account.languageCode matches 'de-.*', found 'es-ES'"]


def test_when_narrows_the_rule_to_the_customers_it_is_about():
    rule = {"when": {"pbx.type": {"in": ["mivoice-business"]}}, "require": {"teams": {"exists": True}}}
    assert judge(rule, c(pbx={"type": "mivoice-5000"})).status == NOT_APPLICABLE
    assert judge(rule, c(pbx={"type": "mivoice-business"})).status == VIOLATES


def test_select_uses_labels():
    rule = {"select": "tier=gold", "require": {"sso.scim": True}}
    assert judge(rule, c({"tier": "silver"})).status == NOT_APPLICABLE
    assert judge(rule, c({"tier": "gold"}, sso={"scim": True})).status == FOLLOWS


def test_live_facts_in_rules():
    rule = {"require": {"live.pendingUsers": {"atMost": 0}}}
    assert judge(rule, c(live=LiveFacts(pending_users=[PendingUser("a@x", None)]))).status == VIOLATES
    assert judge(rule, c(live=LiveFacts(pending_users=[]))).status == FOLLOWS
    assert judge(rule, c(), live_reads=False).status == UNKNOWN  # the engine path reads nothing live
