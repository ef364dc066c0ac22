"""The one merge: fleet defaults <- profiles <- customer, with origins; and every bad input."""

import pytest

from cloudlink_provider.customer.layers import (CustomerLayer, Fleet, LayerError, Origin, Profile, compact, effective,
                                                flat, validated)
from cloudlink_provider.customer.model import SpecError

FLEET = Fleet("stacks/fleet.yaml",
              defaults={"account": {"languageCode": "en-GB", "active": True},
                        "pbx": {"port": 443, "username": "cloudlink"}},
              profiles={"eu": Profile(spec={"account": {"languageCode": "de-DE"}}, labels={"region": "eu"}),
                        "gold": Profile(spec={"roles": [{"extension": "2001", "role": "CTI"}]},
                                        labels={"tier": "gold"}, profiles=("eu",)),
                        "es": Profile(spec={"account": {"languageCode": "es-ES"}}, labels={"region": "es"})})
DEFAULTS, EU, GOLD, ES = (Origin("stacks/fleet.yaml", x) for x in ("defaults", "profile eu", "profile gold",
                                                                    "profile es"))
MINE = Origin("stacks/Pulumi.acme.yaml", "customer")


def layer(spec=None, profiles=None, labels=None):
    return CustomerLayer("acme", "stacks/Pulumi.acme.yaml", spec, profiles, labels)


def test_blocks_merge_key_by_key_and_later_layers_win():
    eff = effective(FLEET, layer({"account": {"name": "ACME"}}, ["es"], {"wave": "2"}))
    assert eff.spec == {"account": {"languageCode": "es-ES", "active": True, "name": "ACME"},
                        "pbx": {"port": 443, "username": "cloudlink"}}
    assert eff.origins[("account", "languageCode")] == ES and eff.origins[("account", "name")] == MINE
    assert eff.origins[("pbx", "port")] == DEFAULTS
    assert eff.labels == {"region": "es", "wave": "2"} and eff.label_origins == {"region": ES, "wave": MINE}


def test_profiles_apply_in_order_with_their_own_profiles_first():
    eff = effective(FLEET, layer({"account": {"name": "A"}}, ["gold", "es"]))
    assert eff.profiles == ("eu", "gold", "es")
    assert eff.spec["account"]["languageCode"] == "es-ES" and eff.labels == {"region": "es", "tier": "gold"}
    assert effective(FLEET, layer({}, ["es", "gold"])).spec["account"]["languageCode"] == "de-DE"


def test_lists_are_replaced_whole():
    eff = effective(FLEET, layer({"roles": [{"extension": "3000", "role": "CTI"}]}, ["gold"]))
    assert eff.spec["roles"] == [{"extension": "3000", "role": "CTI"}] and eff.origins[("roles",)] == MINE


def test_null_removes_an_inherited_value_and_label():
    eff = effective(FLEET, layer({"account": {"languageCode": None}, "pbx": None}, ["gold"], {"tier": None}))
    assert "languageCode" not in eff.spec["account"] and "pbx" not in eff.spec
    assert ("pbx", "port") not in eff.origins and eff.removed[("pbx",)] == MINE
    assert "tier" not in eff.labels and eff.labels == {"region": "eu"}


def test_no_fleet_file_is_the_customer_file_alone():
    spec = {"account": {"name": "ACME", "languageCode": "es-ES"}}
    eff = effective(None, layer(spec))
    assert eff.spec == spec and validated(eff).account.name == "ACME" and eff.labels == {}


def test_the_merge_does_not_change_its_inputs():
    spec = {"account": {"name": "A"}}
    eff = effective(FLEET, layer(spec, ["gold"]))
    eff.spec["account"]["name"] = "changed"
    assert spec == {"account": {"name": "A"}}
    assert FLEET.defaults["account"] == {"languageCode": "en-GB", "active": True}


def test_validation_names_the_field_and_the_file_it_came_from():
    bad = Fleet("stacks/fleet.yaml", defaults={"account": {"languageCode": "english"}})
    with pytest.raises(SpecError) as e:
        validated(effective(bad, layer({"account": {"name": "A", "domain": "Not A Domain"}})))
    text = str(e.value)
    assert "customer.account.languageCode (from stacks/fleet.yaml defaults): 'english' is not a language tag" in text
    assert "customer.account.domain (from stacks/Pulumi.acme.yaml): 'Not A Domain'" in text
    with pytest.raises(SpecError, match=r"customer.account \(not set in any layer\): Field required"):
        validated(effective(None, layer({})))
    with pytest.raises(SpecError, match=r"customer.pbx.type \(not set; its block comes from stacks/fleet.yaml "
                                        r"defaults\): Field required"):
        validated(effective(FLEET, layer({"account": {"name": "A"}})))


def test_a_list_item_problem_names_the_list_origin():
    fleet = Fleet("stacks/fleet.yaml", profiles={"gold": Profile(spec={"roles": [{"extension": "x", "role": "CTI"}]})})
    with pytest.raises(SpecError, match=r"customer.roles\[0\].extension \(from stacks/fleet.yaml profile gold\)"):
        validated(effective(fleet, layer({"account": {"name": "A"}}, ["gold"])))


@pytest.mark.parametrize("fleet, customer, says", [
    (FLEET, layer({}, ["platinum"]), "stacks/Pulumi.acme.yaml profiles: unknown profile 'platinum' (the profiles "
                                     "in stacks/fleet.yaml: es, eu, gold)"),
    (Fleet("stacks/fleet.yaml", profiles={"a": Profile(profiles=("b",)), "b": Profile(profiles=("a",))}),
     layer({}, ["a"]), "stacks/fleet.yaml: profile cycle a -> b -> a"),
    (Fleet("stacks/fleet.yaml", profiles={"a": Profile(profiles=("a",))}), layer({}, ["a"]),
     "profile cycle a -> a"),
    (Fleet("stacks/fleet.yaml", profiles={"a": Profile(profiles=("gone",))}), layer({}, ["a"]),
     "profile a: unknown profile 'gone'"),
    (FLEET, layer({}, "gold,eu"), "unknown profile 'gold,eu'"),
    (FLEET, layer({}, [1]), "profiles must be a list of profile names"),
    (FLEET, layer({}, None, {"wave": 2}), "stacks/Pulumi.acme.yaml labels: label wave has the value 2"),
    (Fleet("stacks/fleet.yaml", profiles={"p": Profile(labels={"wave": 3})}), layer({}, ["p"]),
     "stacks/fleet.yaml profile p labels: label wave has the value 3"),
    (FLEET, layer(["account"]), "the customer spec must be a block"),
])
def test_bad_layers_are_one_line(fleet, customer, says):
    with pytest.raises(LayerError) as e:
        effective(fleet, customer)
    assert says in str(e.value) and "\n" not in str(e.value)


def test_compact_leaves_out_what_the_fleet_gives():
    inherited = effective(FLEET, layer({}, ["gold"]))
    wanted = {"account": {"name": "A", "languageCode": "de-DE", "active": True},
              "pbx": {"port": 7001, "username": "cloudlink"}}
    small = compact(inherited, wanted)
    assert small == {"account": {"name": "A"}, "pbx": {"port": 7001}, "roles": None}
    assert effective(FLEET, layer(small, ["gold"])).spec == wanted


def test_flat_lists_every_value_with_its_origin():
    rows = flat(effective(FLEET, layer({"account": {"name": "A"}}, ["eu"])))
    assert ("account.languageCode", "de-DE", EU) in rows and ("account.name", "A", MINE) in rows
    assert ("pbx.port", 443, DEFAULTS) in rows


def test_a_block_level_problem_names_every_file_the_block_came_from():
    fleet = Fleet("stacks/fleet.yaml", defaults={"pbx": {"port": 443, "username": "cloudlink"}})
    with pytest.raises(SpecError) as e:
        validated(effective(fleet, layer({"account": {"name": "A"}, "pbx": {"type": "mx-one", "host": "h"}})))
    assert ("customer.pbx (from stacks/fleet.yaml defaults, stacks/Pulumi.acme.yaml): a PBX connects through a "
            "gateway") in str(e.value)
    with pytest.raises(SpecError, match=r"  - customer.welcomeEmail \(from stacks/Pulumi.acme.yaml\): moved into"):
        validated(effective(None, layer({"account": {"name": "A"}, "welcomeEmail": True})))
