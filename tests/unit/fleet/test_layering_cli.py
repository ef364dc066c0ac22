"""Layering through the CLI: `fleet show`, `--select`, and every bad input stopped before any engine or API call."""

from __future__ import annotations

import io
import json

import pytest
from rich.console import Console

from cloudlink_provider.cli import main
from cloudlink_provider.fleet.commands import run as runner
from cloudlink_provider.fleet.commands import selective, waves
from cloudlink_provider.fleet.report import FleetReport
from cloudlink_provider.fleet.scan import loop as scan
from cloudlink_provider.passphrase import Passphrase

PASSPHRASE = "unit-passphrase"
FLEET = """provider:
  endpoint: http://127.0.0.1:1
  clientId: partner
defaults:
  account: {languageCode: es-ES}
profiles:
  eu: {labels: {region: eu}}
  gold: {labels: {tier: gold}, profiles: [eu], spec: {account: {domain: gold.example}}}
"""


def stack(name: str, profiles: str = "", labels: str = "", spec: str = "") -> str:
    return ("config:\n" + (f"  cloudlink-fleet:profiles: {profiles}\n" if profiles else "")
            + (f"  cloudlink-fleet:labels: {labels}\n" if labels else "")
            + f"  cloudlink-fleet:customer:\n    account: {{name: {name.title()}{spec}}}\n")


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", PASSPHRASE)
    for var in ("PULUMI_BACKEND_URL", "CLOUDLINK_ENDPOINT", "CLOUDLINK_CLIENT_ID", "CLOUDLINK_CLIENT_SECRET"):
        monkeypatch.delenv(var, raising=False)

    def no_engine(*_a, **_k):
        raise AssertionError("bad input must stop before any engine or API call")

    monkeypatch.setattr(runner.Fleet, "run", no_engine)
    monkeypatch.setattr(scan, "scan_drift", no_engine)
    monkeypatch.setattr(scan, "scan", no_engine)
    monkeypatch.setattr(selective, "scan_preview", no_engine)
    monkeypatch.setattr(selective, "selective_up", no_engine)
    monkeypatch.setattr(waves, "run_rollout", no_engine)
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks" / "fleet.yaml").write_text(FLEET)
    (tmp_path / "stacks" / "Pulumi.alpha.yaml").write_text(stack("alpha", "[gold]", "{wave: '1'}"))
    (tmp_path / "stacks" / "Pulumi.beta.yaml").write_text(stack("beta", "[eu]", "{wave: '2'}"))
    (tmp_path / "stacks" / "Pulumi.gamma.yaml").write_text(stack("gamma", "", "{region: us}", ", languageCode: en-US"))
    return tmp_path


class Seen:
    def __init__(self, code: int, out: str, err: str):
        self.exit_code, self.out, self.err = code, out, err


def cloudlink(*args: str) -> Seen:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), console=Console(file=out, width=250), err_console=Console(file=err, width=250))
    return Seen(code, out.getvalue(), err.getvalue())


def test_show_prints_every_value_with_its_origin(project):
    seen = cloudlink("fleet", "show", "alpha", "--json", "--project-dir", str(project))
    assert seen.exit_code == 0, seen.err
    shown = json.loads(seen.out)
    assert shown["profiles"] == ["eu", "gold"]
    assert shown["spec"]["account.languageCode"] == {"value": "es-ES", "from": "stacks/fleet.yaml defaults"}
    assert shown["spec"]["account.domain"] == {"value": "gold.example", "from": "stacks/fleet.yaml profile gold"}
    assert shown["spec"]["account.name"] == {"value": "Alpha", "from": "stacks/Pulumi.alpha.yaml"}
    assert shown["labels"] == {"region": {"value": "eu", "from": "stacks/fleet.yaml profile eu"},
                               "tier": {"value": "gold", "from": "stacks/fleet.yaml profile gold"},
                               "wave": {"value": "1", "from": "stacks/Pulumi.alpha.yaml"}}
    assert shown["provider"]["endpoint"]["from"] == "stacks/fleet.yaml provider"
    table = cloudlink("fleet", "show", "alpha", "--project-dir", str(project))
    assert "stacks/fleet.yaml profile gold" in table.out and table.exit_code == 0


def test_show_masks_secrets_and_never_decrypts(project, monkeypatch):
    crypt = Passphrase(PASSPHRASE)
    salt = crypt.new_state()
    sealed = crypt.encrypt(salt, "the-client-secret")
    (project / "stacks" / "fleet.yaml").write_text(f"encryptionsalt: {salt}\n" + FLEET.replace(
        "  clientId: partner\n", f"  clientId: partner\n  clientSecret: {{secure: '{sealed}'}}\n"))
    (project / "stacks" / "Pulumi.beta.yaml").write_text(
        stack("beta") + f"  cloudlink-fleet:pbxPassword: {{secure: '{sealed}'}}\n")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "not the passphrase")  # show needs none
    seen = cloudlink("fleet", "show", "beta", "--json", "--project-dir", str(project))
    shown = json.loads(seen.out)
    assert shown["provider"]["clientSecret"] == {"value": "[secret]", "from": "stacks/fleet.yaml provider"}
    assert shown["secrets"] == {"cloudlink-fleet:pbxPassword": {"value": "[secret]", "from": "stacks/Pulumi.beta.yaml"}}
    assert "the-client-secret" not in seen.out and sealed not in seen.out


def test_select_picks_by_labels_with_stacks_and_shard(project):
    from cloudlink_provider.fleet.layering import choose

    stacks = project / "stacks"
    assert choose(stacks, select="region=eu") == ["alpha", "beta"]
    assert choose(stacks, select="region=eu,tier!=gold") == ["beta"]
    assert choose(stacks, select="region in (eu,us),!tier") == ["beta", "gamma"]
    assert choose(stacks, "a*", select="region") == ["alpha"]
    assert choose(stacks, select="region=eu", shard_spec="2/2") == ["beta"]  # shards split what is selected


@pytest.mark.parametrize("edit, says", [
    (("Pulumi.alpha.yaml", stack("alpha", "[platinum]")),
     "alpha: stacks/Pulumi.alpha.yaml profiles: unknown profile 'platinum' (the profiles in stacks/fleet.yaml: eu, gold)"),
    (("fleet.yaml", FLEET.replace("profiles: [eu]", "profiles: [eu, gold]")),
     "alpha: stacks/fleet.yaml: profile cycle gold -> gold"),
    (("fleet.yaml", FLEET.replace("profiles: [eu]", "profiles: [europe]")),
     "alpha: profile gold: unknown profile 'europe'"),
    (("Pulumi.beta.yaml", stack("beta", "", "{wave: 2}")),
     "beta: stacks/Pulumi.beta.yaml labels: label wave has the value 2, which is not a string; quote it"),
    (("fleet.yaml", FLEET.replace("es-ES", "spanish")),
     "alpha: customer.account.languageCode (from stacks/fleet.yaml defaults): 'spanish' is not a language tag"),
    (("fleet.yaml", FLEET + "  oops: [1]\n"), "stacks/fleet.yaml: profiles.oops: expected a block"),
    (("fleet.yaml", "provider: [\n"), "stacks/fleet.yaml: cannot read it"),
    (("fleet.yaml", FLEET.replace("clientId: partner", "clientId: partner\n  clientSecret: plain")),
     "stacks/fleet.yaml: provider.clientSecret must be encrypted"),
])
@pytest.mark.parametrize("command", [["preview"], ["up"], ["drift"]])
def test_bad_input_is_one_line_per_customer_before_any_engine_call(project, edit, says, command):
    name, text = edit
    (project / "stacks" / name).write_text(text)
    seen = cloudlink("fleet", *command, "--project-dir", str(project))
    assert seen.exit_code == 2, seen.out + seen.err
    assert says in seen.err and seen.out == ""
    assert all(len(line) < 400 for line in seen.err.splitlines())


def test_a_bad_default_lists_every_customer_it_breaks(project):
    (project / "stacks" / "fleet.yaml").write_text(FLEET.replace("es-ES", "spanish"))
    seen = cloudlink("fleet", "preview", "--project-dir", str(project))
    assert seen.exit_code == 2
    broken = [line.strip().split(":")[0] for line in seen.err.splitlines() if "languageCode" in line]
    assert broken == ["alpha", "beta"]  # gamma sets its own language: the default does not reach it


def test_a_customer_own_mistake_stays_its_own_failure_row(project, monkeypatch):
    (project / "stacks" / "Pulumi.gamma.yaml").write_text(stack("gamma", "", "", ", domain: NOT A DOMAIN"))
    from cloudlink_provider.fleet.layering import layering_for

    layering_for(project / "stacks").preflight(["alpha", "beta", "gamma"], None)  # not a fleet-wide stop


def test_a_fleet_secret_the_passphrase_cannot_open(project, monkeypatch):
    crypt = Passphrase("the right one")
    salt = crypt.new_state()
    (project / "stacks" / "fleet.yaml").write_text(f"encryptionsalt: {salt}\n" + FLEET.replace(
        "  clientId: partner\n", f"  clientId: partner\n  clientSecret: {{secure: '{crypt.encrypt(salt, 's')}'}}\n"))
    seen = cloudlink("fleet", "preview", "--project-dir", str(project))
    assert seen.exit_code == 2
    assert ("stacks/fleet.yaml: provider.clientSecret cannot be decrypted: incorrect passphrase "
            "(PULUMI_CONFIG_PASSPHRASE)") in seen.err


@pytest.mark.parametrize("selector, says", [
    ("tier=", "no customer matches --select 'tier='"),
    ("tier in (gold", "--select 'tier in (gold': the set is not closed with ')' at the end"),
    ("region=eu,,x", "empty requirement"),
])
def test_a_selector_that_does_not_parse_or_match_is_bad_usage(project, selector, says):
    for command in (["preview"], ["up"], ["drift"], ["refresh"], ["destroy", "--yes"], ["recover"]):
        seen = cloudlink("fleet", *command, "--select", selector, "--project-dir", str(project))
        assert seen.exit_code == 2 and says in seen.err, (command, seen.err)


def test_a_default_block_a_customer_cannot_complete_is_the_fleet_files_mistake(project):
    (project / "stacks" / "fleet.yaml").write_text(FLEET.replace("defaults:\n", "defaults:\n  pbx: {port: 443}\n"))
    seen = cloudlink("fleet", "preview", "--project-dir", str(project))
    assert seen.exit_code == 2
    assert ("alpha: customer.pbx.type (not set; its block comes from stacks/fleet.yaml defaults): Field required"
            in seen.err)
    # with a pbx block of its own, the same missing field is the customer's mistake: its own failure row
    (project / "stacks" / "Pulumi.alpha.yaml").write_text(stack("alpha") + "    pbx: {host: h}\n")
    from cloudlink_provider.fleet.layering import Layering

    Layering(project / "stacks").preflight(["alpha"], None)


def test_waves_by_reads_the_effective_labels_and_select_narrows_the_rollout(project, monkeypatch):
    planned = []

    def rollout(_project, plan, *_a, **_k):
        planned.append({w.name: list(w.stacks) for w in plan.waves})
        return FleetReport("up", "file:///nowhere")

    monkeypatch.setattr(waves, "run_rollout", rollout)
    # region comes from the profiles for alpha and beta (fleet file), from gamma's own labels
    cloudlink("fleet", "up", "--waves-by", "region", "--project-dir", str(project))
    cloudlink("fleet", "up", "--select", "region=eu", "--waves-by", "tier", "--project-dir", str(project))
    assert planned[0] == {"region=eu": ["alpha", "beta"], "region=us": ["gamma"]}
    assert len(planned) == 1  # beta (region=eu) has no tier label: a bad rollout plan, before anything runs
    seen = cloudlink("fleet", "up", "--select", "tier=gold", "--waves-by", "tier", "--project-dir", str(project))
    assert planned[1] == {"tier=gold": ["alpha"]} and seen.exit_code == 0


@pytest.mark.parametrize("targets, message", [
    ("  - {name: ops, type: teams, url: 'https://example.webhook.office.com/x'}\n",
     "stacks/fleet.yaml: notifications[0].url must be encrypted (url: {secure: v1:...}), never plaintext"),
    ("  - {name: ops, type: teams}\n",
     "stacks/fleet.yaml: notifications[0].url: no URL for 'ops'; write it with "
     "`cloudlink fleet set-notification-url ops`"),
    ("  - {name: ops, type: pager, url: {secure: 'v1:x'}}\n",
     "stacks/fleet.yaml: notifications[0].type: 'pager' is not one of teams, slack, webhook"),
    ("  - {name: ops, type: slack, on: [sometimes]}\n",
     "stacks/fleet.yaml: notifications[0].on: 'sometimes' is not one of"),
])
def test_a_bad_notification_target_stops_drift_before_anything_runs(project, targets, message):
    with open(project / "stacks" / "fleet.yaml", "a") as f:
        f.write("notifications:\n" + targets)
    seen = cloudlink("fleet", "drift", "--project-dir", str(project))
    assert seen.exit_code == 2, seen.out + seen.err
    assert message in seen.err and "example.webhook.office.com" not in seen.err
    assert len(seen.err.strip().splitlines()) == 1


def test_a_url_the_passphrase_cannot_open_stops_drift(project, monkeypatch):
    crypt = Passphrase("another-passphrase")
    salt = crypt.new_state()
    sealed = crypt.encrypt(salt, "https://hooks.slack.com/services/T/B/secret")
    text = (project / "stacks" / "fleet.yaml").read_text()
    (project / "stacks" / "fleet.yaml").write_text(
        f"encryptionsalt: {salt}\n" + text + f"notifications:\n  - {{name: ops, type: slack, url: {{secure: '{sealed}'}}}}\n")
    seen = cloudlink("fleet", "drift", "--project-dir", str(project))
    assert seen.exit_code == 2 and "notifications[0].url cannot be decrypted" in seen.err
