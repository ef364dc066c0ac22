"""The label selector grammar (`--select`): every operator, and every bad input as one line."""

import pytest

from cloudlink_provider.customer.selectors import LabelError, SelectorError, check_labels, parse_selector

GOLD_EU = {"tier": "gold", "region": "eu", "wave": "2"}
SILVER_US = {"tier": "silver", "region": "us"}


@pytest.mark.parametrize("text, gold_eu, silver_us, none", [
    ("tier=gold", True, False, False),
    ("tier==gold", True, False, False),
    ("tier!=gold", False, True, True),          # inequality holds without the label (Kubernetes)
    ("region in (eu,uk)", True, False, False),
    ("region in(eu, uk)", True, False, False),
    ("region notin (eu)", False, True, True),
    ("wave", True, False, False),
    ("!wave", False, True, True),
    ("tier=gold,region=eu", True, False, False),  # comma = AND
    ("tier=gold,region=us", False, False, False),
    (" tier = gold , !legacy ", True, False, False),
    ("tier=", False, False, False),              # the empty value
])
def test_selector_matches(text, gold_eu, silver_us, none):
    selector = parse_selector(text)
    assert (selector(GOLD_EU), selector(SILVER_US), selector({})) == (gold_eu, silver_us, none)


def test_selector_prints_back():
    assert str(parse_selector("tier==gold, region in (eu,uk),!x,wave")) == "tier=gold,region in (eu,uk),!x,wave"


@pytest.mark.parametrize("text, says", [
    ("", "empty selector"),
    ("   ", "empty selector"),
    ("tier=gold,", "empty requirement"),
    (",tier=gold", "empty requirement"),
    ("tier=gold,,region=eu", "empty requirement"),
    ("region in eu", "expected '(' after in"),
    ("region in (eu", "not closed"),
    ("region in (eu uk)", "expected ',' or ')'"),
    ("region in ()", "')' is not a label value"),
    ("region notin", "expected '(' after notin"),
    ("tier gold", "expected =, ==, !=, in, notin"),
    ("tier=gold region=eu", "expected ',' between requirements"),
    ("-tier=gold", "is not a label key"),
    ("tier=gold!", "expected ',' between"),
    ("tier=go/ld", "is not a label value"),
    ("!", "expected a label key"),
    ("!(x)", "is not a label key"),
    ("tier=(gold)", "is not a label value"),
])
def test_bad_selectors_are_one_line(text, says):
    with pytest.raises(SelectorError) as e:
        parse_selector(text)
    assert says in str(e.value) and "\n" not in str(e.value) and str(e.value).startswith("--select")


def test_labels_must_be_strings():
    assert check_labels({"tier": "gold", "wave": None}, "x") == {"tier": "gold", "wave": None}
    with pytest.raises(LabelError, match=r'stacks/Pulumi.a.yaml labels: label wave has the value 2, which is not a '
                                         r'string; quote it \(wave: "2"\)'):
        check_labels({"wave": 2}, "stacks/Pulumi.a.yaml labels")
    for bad, says in (({"ti er": "x"}, "is not a label key"), ({"tier": "gold medal"}, "has the value"),
                      (["tier"], "must be a block"), ({"tier": True}, "not a string")):
        with pytest.raises(LabelError, match=says):
            check_labels(bad, "here")
