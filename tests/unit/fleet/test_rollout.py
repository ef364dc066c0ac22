"""The rollout plan's grammar (fleet/rollout.py): waves by label or by count, and every bad input."""

from __future__ import annotations

import pytest

from cloudlink_provider.fleet.errors import ExitCode, FleetError
from cloudlink_provider.fleet.commands.rollout import rollout_plan

NAMES = [f"c{i:03d}" for i in range(1, 21)]  # 20 customers


def waves(plan):
    return [(w.name, list(w.stacks)) for w in plan.waves]


def test_canary_then_a_percentage_then_the_rest():
    plan = rollout_plan(list(reversed(NAMES)), {}, canary=2, waves=["10%", "rest"], bake_s=30)
    assert waves(plan) == [("canary", NAMES[:2]), ("wave 2 (10%)", NAMES[2:4]), ("rest", NAMES[4:])]
    assert plan.bake_s == 30 and plan.stacks == NAMES
    assert plan.describe() == "canary (2), wave 2 (10%) (2), rest (16); bake 30s between waves"


def test_a_percentage_is_of_the_whole_selection_rounded_up_and_counts_are_customers():
    plan = rollout_plan(NAMES, {}, waves=["7%", "5"])
    assert [len(w.stacks) for w in plan.waves] == [2, 5, 13]  # 7% of 20 = 1.4 -> 2; the leftovers: `rest`
    assert plan.waves[-1].name == "rest"


def test_a_canary_alone_is_the_canary_then_everyone_else():
    assert waves(rollout_plan(NAMES, {}, canary=3)) == [("canary", NAMES[:3]), ("rest", NAMES[3:])]


def test_waves_that_find_nobody_left_are_dropped_and_the_waves_cover_everyone_once():
    plan = rollout_plan(NAMES, {}, canary=20, waves=["10%", "rest"])
    assert waves(plan) == [("canary", NAMES)]
    plan = rollout_plan(NAMES, {}, waves=["100%", "rest"])
    assert waves(plan) == [("wave 1 (100%)", NAMES)]


def test_waves_by_label_in_numeric_value_order():
    labels = {n: {"wave": str(1 + i % 3 if i else 10)} for i, n in enumerate(NAMES)}
    plan = rollout_plan(NAMES, labels, waves_by="wave")
    assert [w.name for w in plan.waves] == ["wave=1", "wave=2", "wave=3", "wave=10"]
    assert sorted(plan.stacks) == NAMES and len(plan.stacks) == len(NAMES)
    assert plan.waves[-1].stacks == ("c001",)


def test_waves_by_a_text_label_in_text_order():
    labels = {n: {"ring": "b-main" if i else "a-canary"} for i, n in enumerate(NAMES)}
    assert [w.name for w in rollout_plan(NAMES, labels, waves_by="ring").waves] == ["ring=a-canary", "ring=b-main"]


def test_no_rollout_options_is_one_wave_of_everyone():
    assert waves(rollout_plan(NAMES, {})) == [("all", NAMES)]


@pytest.mark.parametrize("kwargs, says", [
    (dict(names=[], canary=1), "names no customer"),
    (dict(waves_by="wave"), "no selected customer carries the label 'wave'"),
    (dict(waves_by="ring", labels={"c001": {"ring": "1"}}), "19 selected customer(s) do not carry the label"),
    (dict(waves_by="  "), "needs a label name"),
    (dict(canary=21), "--canary 21 is larger than the selected fleet (20 customer(s))"),
    (dict(canary=0), "at least one customer"),
    (dict(waves=["0%"]), "between 1% and 100%"),
    (dict(waves=["101%"]), "between 1% and 100%"),
    (dict(waves=["-5%"]), "between 1% and 100%"),
    (dict(waves=["0"]), "at least one customer"),
    (dict(waves=["ten"]), "expected a count (25), a percentage (10%) or `rest`"),
    (dict(waves=["rest", "10%"]), "--wave rest must be the last wave"),
    (dict(waves_by="wave", canary=2), "--waves-by cannot be combined with --canary or --wave"),
    (dict(waves_by="wave", waves=["rest"]), "--waves-by cannot be combined"),
    (dict(canary=2, bake_s=-1), "--bake -1: seconds must be 0 or more"),
    (dict(bake_s=60), "--bake needs a rollout plan"),
])
def test_every_bad_rollout_plan_is_a_usage_error(kwargs, says):
    names = kwargs.pop("names", NAMES)
    labels = kwargs.pop("labels", {})
    with pytest.raises(FleetError) as e:
        rollout_plan(names, labels, **kwargs)
    assert e.value.exit_code == ExitCode.USAGE
    assert says in str(e.value)
