"""Every bad input of the standards file is one line naming the file and the rule (or exception), before
anything is evaluated."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from cloudlink_provider.standards import StandardsError, load_standards, parse_standards

TODAY = date(2026, 12, 5)
FILE = "stacks/standards.yaml"
RULE = {"id": "gold-scim", "title": "Gold has Azure AD Sync", "mode": "alert", "require": {"sso.scim": True}}
EXC = {"standard": "gold-scim", "customer": "acme", "reason": "migrating in Q1", "expires": "2027-03-31"}


def load(data, refuse=None):
    return parse_standards(data, FILE, customers={"acme", "nordwind"}, refuse_expired_on=refuse)


@pytest.mark.parametrize("data, message", [
    # a rule that does not parse or names an unknown field
    ({"rules": [{**RULE, "require": {"sso.scm": True}}]},
     "stacks/standards.yaml: rule gold-scim: require: unknown field 'sso.scm' (did you mean sso.scim?)"),
    ({"rules": [{**RULE, "require": {"sso.scim": {"equal": True}}}]},
     "stacks/standards.yaml: rule gold-scim: require: sso.scim: unknown test 'equal' (did you mean equals?)"),
    ({"rules": [{**RULE, "require": {"gateway.name": {"matches": "([A-Z"}}}]},
     "stacks/standards.yaml: rule gold-scim: require: gateway.name: matches '([A-Z' is not a regular expression"),
    ({"rules": [{**RULE, "require": {"pbx.type": {"in": "mx-one"}}}]},
     "stacks/standards.yaml: rule gold-scim: require: pbx.type: in takes a list, like in: [a, b]"),
    ({"rules": [{**RULE, "require": "sso.scim == true"}]},
     "stacks/standards.yaml: rule gold-scim: require: must be a block of `field: test` lines"),
    ({"rules": [{**RULE, "when": {"live.nonsense": {"atLeast": 1}}}]},
     "stacks/standards.yaml: rule gold-scim: when: unknown field 'live.nonsense'"),
    ({"rules": [{**RULE, "select": "tier=gold,,"}]}, "stacks/standards.yaml: rule gold-scim: selector 'tier=gold,,'"),
    ({"rules": [{**RULE, "colour": "red"}]}, "stacks/standards.yaml: rule gold-scim: unknown key 'colour'"),
    ({"rules": [{k: v for k, v in RULE.items() if k != "title"}]}, "stacks/standards.yaml: rule gold-scim: no title"),
    ({"rules": [RULE, RULE]}, "stacks/standards.yaml: rule gold-scim: the id is used twice"),
    ({"rules": [{**RULE, "id": "Gold Scim"}]}, "stacks/standards.yaml: rule Gold Scim: id must be lower-case"),
    # an unknown standard id
    ({"standards": {"sso-and-snyc": {"mode": "alert"}}},
     "stacks/standards.yaml: standard sso-and-snyc: unknown built-in standard (did you mean sso-and-sync?)"),
    ({"standards": {"sso-certificate-expiry": {"mode": "alert", "warnDay": 10}}},
     "stacks/standards.yaml: standard sso-certificate-expiry: unknown key 'warnDay' (did you mean warnDays?)"),
    ({"standards": {"sso-certificate-expiry": {"mode": "alert", "warnDays": "soon"}}},
     "stacks/standards.yaml: standard sso-certificate-expiry: warnDays must be a whole number"),
    ({"rules": [RULE], "exceptions": [{**EXC, "standard": "gold-sso"}]},
     "stacks/standards.yaml: exception 1 (gold-sso, acme): unknown standard 'gold-sso' (known: gold-scim)"),
    ({"exceptions": [{**EXC, "standard": "sso-and-sync"}]},
     "stacks/standards.yaml: exception 1 (sso-and-sync, acme): unknown standard 'sso-and-sync' (sso-and-sync is "
     "built in but not turned on under standards:)"),
    # an exception without a reason, with a malformed date, for a customer that does not exist
    ({"rules": [RULE], "exceptions": [{**EXC, "reason": " "}]},
     "stacks/standards.yaml: exception 1 (gold-scim, acme): no reason"),
    ({"rules": [RULE], "exceptions": [{k: v for k, v in EXC.items() if k != "reason"}]},
     "stacks/standards.yaml: exception 1 (gold-scim, acme): no reason"),
    ({"rules": [RULE], "exceptions": [{**EXC, "expires": "31/03/2027"}]},
     "stacks/standards.yaml: exception 1 (gold-scim, acme): expires '31/03/2027' is not a date like 2027-06-30"),
    ({"rules": [RULE], "exceptions": [{**EXC, "expires": "2027-02-30"}]},
     "stacks/standards.yaml: exception 1 (gold-scim, acme): expires '2027-02-30' is not a date"),
    ({"rules": [RULE], "exceptions": [{k: v for k, v in EXC.items() if k != "expires"}]},
     "stacks/standards.yaml: exception 1 (gold-scim, acme): no expires date"),
    ({"rules": [RULE], "exceptions": [{**EXC, "customer": "acme-iberia"}]},
     "stacks/standards.yaml: exception 1 (gold-scim, acme-iberia): customer 'acme-iberia' does not exist "
     "(no stacks/Pulumi.acme-iberia.yaml)"),
    ({"rules": [RULE], "exceptions": [{**EXC, "select": "tier=gold"}]},
     "stacks/standards.yaml: exception 1 (gold-scim, acme): name either one customer"),
    # a mode other than the three
    ({"rules": [{**RULE, "mode": "remediate"}]},
     "stacks/standards.yaml: rule gold-scim: mode 'remediate' is not one of report, alert, enforce"),
    ({"standards": {"sso-and-sync": {"mode": "warn"}}},
     "stacks/standards.yaml: standard sso-and-sync: mode 'warn' is not one of report, alert, enforce"),
    ({"standards": {"sso-and-sync": {}}}, "stacks/standards.yaml: standard sso-and-sync: no mode"),
    ({"policies": []}, "stacks/standards.yaml: unknown key 'policies'"),
])
def test_bad_input_is_one_line_naming_file_and_rule(data, message):
    with pytest.raises(StandardsError) as e:
        load(data)
    text = str(e.value)
    assert text.startswith(message), text
    assert "\n" not in text


def test_a_past_expiry_is_refused_for_a_change_under_review_and_loads_otherwise():
    data = {"rules": [RULE], "exceptions": [{**EXC, "expires": "2026-12-04"}]}
    with pytest.raises(StandardsError) as e:
        load(data, refuse=TODAY)
    assert str(e.value) == ("stacks/standards.yaml: exception 1 (gold-scim, acme): expires 2026-12-04 is in the "
                            "past; a new exception must end in the future")
    assert load(data).exceptions[0].expires == date(2026, 12, 4)  # runs count it as a violation again


def test_file_errors(tmp_path: Path):
    (tmp_path / "standards.yaml").write_text("rules: [\n")
    with pytest.raises(StandardsError) as e:
        load_standards(tmp_path)
    assert str(e.value).startswith(f"{tmp_path.name}/standards.yaml: not valid YAML at line")
    (tmp_path / "standards.yaml").unlink()
    assert load_standards(tmp_path).standards == ()  # no file: no standards


def test_the_sample_standards_file_loads():
    root = Path(__file__).resolve().parents[3]
    names = {p.name[len("Pulumi."):-len(".yaml")] for p in (root / "stacks").glob("Pulumi.*.yaml")}
    standards = load_standards(root / "stacks", names)
    assert standards.standards
