"""`cloudlink fleet import` of whole customers: built out of band, imported, then adopted exactly by `up`.

The customers are made over raw HTTP, as a colleague clicking in the console
would (never through the provider), then `cloudlink fleet import` writes their
stacks and the real engine adopts them. The emulator's request journal says
exactly which writes the first `up` makes: only the re-sent write-only secrets
(PBX link, Teams) and the SCIM token rotation that adopting Azure AD Sync needs.
"""

from __future__ import annotations

import json

import httpx
import pytest
import yaml

from cloudlink_provider.emulator.store import DEMO_PARTNER
from cloudlink_provider.fleet.engine.env import pulumi_env
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from cloudlink_provider.fleetfile import FleetFile
from cloudlink_provider.passphrase import Passphrase
from cloudlink_provider.wire import AZURE_SAML_ENTITY_ID, AZURE_SAML_REPLY_URL
from testkit.certificates import CERT_PEM
from testkit.fleet_project import check, fleet, fleet_env, make_project
from testkit.secrets import assert_no_secret

from .corpus import ADMIN, GW, IDP, INTEGRATIONS, SCIM, TEAMS_APP, TEAMS_TENANT, TENANT  # the API paths, once

pytestmark = pytest.mark.e2e

PBX_PASSWORD, TEAMS_SECRET = "pbx-Secret-1", "teams-Secret-1"


def created(response: httpx.Response) -> dict:
    assert response.status_code in (200, 201), response.text
    return response.json()


def customer_with_pbx(api, name: str, serials: list[tuple[str, str, str]], pbx_type: str, host: str) -> dict:
    """An account, its gateways (the first gets the PBX link) and a connected PBX link; returns the ids."""
    account = created(api.http.post(ADMIN, json={"name": name, "domain": host.split(".", 1)[1],
                                                 "languageCode": "pt-PT"}))["accountId"]
    gateways = [created(api.http.post(f"{GW}/{account}/gateways",
                                      json={"serialNumber": s, "type": t, "name": n}))["gatewayId"]
                for s, t, n in serials]
    created(api.http.post(f"{GW}/{account}/gateways/{gateways[0]}/pbx-link", json={
        "pbxType": pbx_type, "host": host, "port": 443, "username": "cloudlink", "password": PBX_PASSWORD}))
    return {"account": account, "gateway": gateways[0]}


def test_import_whole_customers_then_up_adopts_everything_exactly(tmp_path, emulator, api):
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0})  # a new link connects at once
    # Alpha: two gateways (the first is imported), MiVoice 5000 with CTI roles, SSO with Azure AD Sync
    alpha = customer_with_pbx(api, "Alpha Clinics", [("CLGW-ALPHA-0001", "APPLIANCE", "Lisbon HQ"),
                                                     ("CLGW-ALPHA-0002", "VIRTUAL", "Porto DR")],
                              "MIVOICE_5000", "pbx.alpha.example")
    for extension in ("2010", "2001", "2002"):
        created(api.http.put(f"{GW}/{alpha['account']}/pbx/roles/{extension}", json={"role": "CTI"}))
    created(api.http.post(IDP, json={"accountId": alpha["account"], "type": "AZURE", "active": True, "saml": {
        "issuerId": f"https://sts.windows.net/{TENANT}/",
        "serviceProviderIssuerId": AZURE_SAML_ENTITY_ID.format(account_id=alpha["account"]),
        "serviceProviderReplyUrl": AZURE_SAML_REPLY_URL.format(account_id=alpha["account"]),
        "loginUrl": f"https://login.microsoftonline.com/{TENANT}/saml2",
        "logoutUrl": f"https://login.microsoftonline.com/{TENANT}/saml2/logout", "certificates": CERT_PEM}}))
    sync = created(api.http.post(f"{SCIM}/{alpha['account']}/azure-sync"))
    # Beta: MiVoice Business with two-way Teams presence
    beta = customer_with_pbx(api, "Beta Logistics", [("CLGW-BETA-0001", "EMBEDDED_SMBC", "Warehouse")],
                             "MIVOICE_BUSINESS", "pbx.beta.example")
    beta["teams"] = created(api.http.post(f"{INTEGRATIONS}/{beta['account']}/integrations", json={
        "type": "MS_TEAMS", "tenantId": TEAMS_TENANT, "clientId": TEAMS_APP, "clientSecret": TEAMS_SECRET,
        "mode": "BIDIRECTIONAL"}))["integrationId"]

    project = make_project(tmp_path / "project", emulator.url)
    env = fleet_env({"CLOUDLINK_ENDPOINT": emulator.url, "CLOUDLINK_CLIENT_ID": DEMO_PARTNER["client_id"],
                     "CLOUDLINK_CLIENT_SECRET": DEMO_PARTNER["client_secret"],
                     "PBX_PW": PBX_PASSWORD, "TEAMS_SECRET": TEAMS_SECRET,
                     "PBX_PW_ALPHA_CLINICS": PBX_PASSWORD, "PBX_PW_BETA_LOGISTICS": PBX_PASSWORD + "-beta"})
    check(fleet(project, "import", "--all", "--pbx-password-env", "UNSET_VAR", env=env), 2)
    # one PBX password for two customers: refused before anything is written (issue 15)
    shared = check(fleet(project, "import", "--all", "--pbx-password-env", "PBX_PW", env=env), 2)
    assert "same pbxPassword to 2 customers" in " ".join(shared.stderr.split())
    assert list((project / "stacks").glob("Pulumi.*.yaml")) == []
    result = check(fleet(project, "import", "--all", "--pbx-password-env", "PBX_PW_{stack}",
                         "--teams-secret-env", "TEAMS_SECRET", env=env), 0)
    assert "2 gateways; imported the first by creation order (CLGW-ALPHA-0001)" in " ".join(result.stderr.split())
    assert "pulumi config set" not in result.stdout  # every secret needed was handed over

    files = {p.name: p.read_text() for p in (project / "stacks").glob("Pulumi.*.yaml")}
    assert sorted(files) == ["Pulumi.alpha-clinics.yaml", "Pulumi.beta-logistics.yaml"]
    # no fleet file yet: import created one, and the credentials are written there once, never per stack
    fleet_file = (project / "stacks" / "fleet.yaml").read_text()
    assert DEMO_PARTNER["client_secret"] not in fleet_file
    assert FleetFile(project / "stacks").provider_settings(Passphrase(env["PULUMI_CONFIG_PASSPHRASE"])) == {
        "cloudlink:endpoint": emulator.url, "cloudlink:clientId": DEMO_PARTNER["client_id"],
        "cloudlink:clientSecret": DEMO_PARTNER["client_secret"]}
    for text in files.values():
        assert_no_secret(text, [PBX_PASSWORD, TEAMS_SECRET, DEMO_PARTNER["client_secret"]], "a stack file")
    # one encryption salt for the fleet (stacks/.fleet-encryptionsalt): the scan derives one key
    fleet_salt = (project / "stacks" / ".fleet-encryptionsalt").read_text().strip()
    assert {yaml.safe_load(text)["encryptionsalt"] for text in files.values()} == {fleet_salt}
    alpha_config = yaml.safe_load(files["Pulumi.alpha-clinics.yaml"])["config"]
    beta_config = yaml.safe_load(files["Pulumi.beta-logistics.yaml"])["config"]
    assert set(alpha_config["cloudlink-fleet:pbxPassword"]) == {"secure"}
    assert "cloudlink-fleet:teamsClientSecret" not in alpha_config  # no Teams, no secret for it
    assert set(beta_config["cloudlink-fleet:teamsClientSecret"]) == {"secure"}
    assert not [k for k in {**alpha_config, **beta_config} if k.startswith("cloudlink:")]
    # set with the value on stdin (never on a command line), and stored exactly: no trailing newline
    engine = {**pulumi_env(backend_url=(project / ".state").as_uri()), "PULUMI_CONFIG_PASSPHRASE": env[
        "PULUMI_CONFIG_PASSPHRASE"]}
    for stack, key, value in (("alpha-clinics", "cloudlink-fleet:pbxPassword", PBX_PASSWORD),
                              ("beta-logistics", "cloudlink-fleet:pbxPassword", PBX_PASSWORD + "-beta"),
                              ("beta-logistics", "cloudlink-fleet:teamsClientSecret", TEAMS_SECRET)):
        got = run_pulumi(["config", "get", key, "--json", "--stack", stack], project, engine)
        assert got.returncode == 0, got.stderr
        assert json.loads(got.stdout) == {"value": value, "secret": True}
    assert alpha_config["cloudlink-fleet:customer"] == {
        "account": {"name": "Alpha Clinics", "domain": "alpha.example", "languageCode": "pt-PT",
                    "adoptAccountId": alpha["account"]},
        "gateway": {"serialNumber": "CLGW-ALPHA-0001", "type": "appliance", "name": "Lisbon HQ"},
        "pbx": {"type": "mivoice-5000", "host": "pbx.alpha.example", "port": 443, "username": "cloudlink"},
        "roles": [{"extension": e, "role": "CTI"} for e in ("2001", "2002", "2010")],
        "sso": {"provider": "azure-ad", "issuerId": f"https://sts.windows.net/{TENANT}/",
                "loginUrl": f"https://login.microsoftonline.com/{TENANT}/saml2",
                "logoutUrl": f"https://login.microsoftonline.com/{TENANT}/saml2/logout",
                "certificate": CERT_PEM, "scim": True}}
    assert beta_config["cloudlink-fleet:customer"] == {
        "account": {"name": "Beta Logistics", "domain": "beta.example", "languageCode": "pt-PT",
                    "adoptAccountId": beta["account"]},
        "gateway": {"serialNumber": "CLGW-BETA-0001", "type": "embedded-smbc", "name": "Warehouse"},
        "pbx": {"type": "mivoice-business", "host": "pbx.beta.example", "port": 443, "username": "cloudlink"},
        "teams": {"tenantId": TEAMS_TENANT, "clientId": TEAMS_APP, "mode": "bidirectional"}}

    # The preview says adoption, not creation: every resource of a freshly imported stack is an `adopt`,
    # in the ops, the counts and the Markdown, and nothing is written.
    api.clear_journal()
    check(fleet(project, "preview", "--json", str(tmp_path / "adopt.json"), "--markdown", str(tmp_path / "adopt.md"),
                env=env), 0)
    assert api.writes() == []
    adopt = {s["stack"]: s for s in json.loads((tmp_path / "adopt.json").read_text())["stacks"]}
    assert {r["name"]: r["op"] for r in adopt["alpha-clinics"]["resources"]} == {
        "account": "adopt", "gateway": "adopt", "pbx": "adopt", "roles": "adopt", "sso": "adopt"}
    assert {r["op"] for r in adopt["beta-logistics"]["resources"]} == {"adopt"}
    assert adopt["alpha-clinics"]["changes"]["adopted"] == 5 and adopt["alpha-clinics"]["changes"]["created"] == 0
    assert adopt["beta-logistics"]["changes"]["adopted"] == 4  # account, gateway, pbx, teams
    markdown = (tmp_path / "adopt.md").read_text()
    assert "| adopted |" in markdown and "account (cloudlink:Account): adopt" in markdown
    assert "rotates the Azure AD Sync SCIM token" in markdown  # the side effect is in the preview (issue 15)

    # The first up adopts everything: no create, and the only writes are the re-sent write-only secrets
    # and the SCIM token rotation (the live token cannot be read back).
    api.clear_journal()
    adopted = check(fleet(project, "up", env=env), 0)
    assert "rotates the Azure AD Sync SCIM token" in " ".join(adopted.stdout.split())  # and in up's report
    assert sorted((w["method"], w["path"], w["status"]) for w in api.writes()) == sorted([
        ("PUT", f"{GW}/{alpha['account']}/gateways/{alpha['gateway']}/pbx-link", 200),
        ("POST", f"{SCIM}/{alpha['account']}/azure-sync/token", 201),
        ("PUT", f"{GW}/{beta['account']}/gateways/{beta['gateway']}/pbx-link", 200),
        ("PUT", f"{INTEGRATIONS}/{beta['account']}/integrations/{beta['teams']}", 200)])
    old_token = httpx.get(f"{sync['scimBaseUrl']}/Users", headers={"Authorization": f"Bearer {sync['token']}"})
    assert old_token.status_code == 401  # rotated: Azure AD needs the stack's scimToken output now

    api.clear_journal()
    check(fleet(project, "preview", "--expect-no-changes", env=env), 0)
    check(fleet(project, "drift", env=env), 0)  # and what CloudLink reports matches the state
    assert api.writes() == []


def test_import_without_the_secrets_names_the_commands_and_up_refuses_until_they_are_set(tmp_path, emulator, api):
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0})
    gamma = customer_with_pbx(api, "Gamma Freight", [("CLGW-GAMMA-0001", "MBG", "Depot")], "MX_ONE",
                              "pbx.gamma.example")
    project = make_project(tmp_path / "project", emulator.url)
    env = fleet_env({"CLOUDLINK_ENDPOINT": emulator.url, "CLOUDLINK_CLIENT_ID": DEMO_PARTNER["client_id"],
                     "CLOUDLINK_CLIENT_SECRET": DEMO_PARTNER["client_secret"]})
    result = check(fleet(project, "import", "--account-id", gamma["account"], "--name", "gamma", env=env), 0)
    command = "pulumi config set --secret pbxPassword --stack gamma"
    assert command in result.stdout and "teamsClientSecret" not in result.stdout
    config = yaml.safe_load((project / "stacks" / "Pulumi.gamma.yaml").read_text())["config"]
    assert "cloudlink-fleet:pbxPassword" not in config and "roles" not in config["cloudlink-fleet:customer"]

    # the program's own check is the safety net: nothing is written without the secret
    api.clear_journal()
    refused = check(fleet(project, "up", env=env), 1)
    assert command in " ".join(refused.stdout.split())
    assert api.writes() == []

    # the printed command, as printed, with the value on stdin, is all it takes
    engine = {**pulumi_env(backend_url=(project / ".state").as_uri()), "PULUMI_CONFIG_PASSPHRASE": env[
        "PULUMI_CONFIG_PASSPHRASE"]}
    assert run_pulumi(command.split()[1:], project, engine, input=PBX_PASSWORD + "\n").returncode == 0
    check(fleet(project, "up", env=env), 0)
    assert [(w["method"], w["path"]) for w in api.writes()] == [
        ("PUT", f"{GW}/{gamma['account']}/gateways/{gamma['gateway']}/pbx-link")]
    check(fleet(project, "preview", "--expect-no-changes", env=env), 0)


def test_import_into_a_fleet_file_writes_the_compact_form(tmp_path, emulator, api):
    """The fleet file gives the credentials, PBX defaults and a profile: the imported stack file says only
    what is this customer's own, and the engine and the scan see exactly the live customer."""
    api.http.put("/_emulator/settings", json={"pbx_connect_s": 0})
    delta = customer_with_pbx(api, "Delta Dental", [("CLGW-DELTA-0001", "MBG", "Clinic")], "MX_ONE",
                              "pbx.delta.example")
    project = make_project(tmp_path / "project", emulator.url)
    crypt = Passphrase(fleet_env()["PULUMI_CONFIG_PASSPHRASE"])
    salt = crypt.new_state()
    FleetFile(project / "stacks").save({
        "encryptionsalt": salt,
        "provider": {"endpoint": emulator.url, "clientId": DEMO_PARTNER["client_id"],
                     "clientSecret": {"secure": crypt.encrypt(salt, DEMO_PARTNER["client_secret"])}},
        "defaults": {"account": {"languageCode": "pt-PT"}, "pbx": {"port": 443, "username": "cloudlink"},
                     "teams": {"tenantId": TEAMS_TENANT, "clientId": TEAMS_APP}}})  # a default Delta lacks
    env = fleet_env({"PBX_PW": PBX_PASSWORD})  # no credentials given: they come from the fleet file
    check(fleet(project, "import", "--account-id", delta["account"], "--name", "delta", "--pbx-password-env",
                "PBX_PW", env=env), 0)
    config = yaml.safe_load((project / "stacks" / "Pulumi.delta.yaml").read_text())["config"]
    assert not [k for k in config if k.startswith("cloudlink:")]  # the credentials are never repeated
    assert config["cloudlink-fleet:customer"] == {
        "account": {"name": "Delta Dental", "domain": "delta.example", "adoptAccountId": delta["account"]},
        "gateway": {"serialNumber": "CLGW-DELTA-0001", "type": "mbg", "name": "Clinic"},
        "pbx": {"type": "mx-one", "host": "pbx.delta.example"},
        "teams": None}  # the fleet's default Teams block is removed: Delta has no Teams integration
    shown = json.loads(check(fleet(project, "show", "delta", "--json", env=env), 0).stdout)
    assert shown["spec"]["pbx.port"] == {"value": 443, "from": "stacks/fleet.yaml defaults"}
    assert shown["removed"] == {"teams": "stacks/Pulumi.delta.yaml"}

    # the engine adopts it exactly (only the write-only password is re-sent), and engine and scan agree
    api.clear_journal()
    check(fleet(project, "up", env=env), 0)
    assert [(w["method"], w["path"]) for w in api.writes()] == [
        ("PUT", f"{GW}/{delta['account']}/gateways/{delta['gateway']}/pbx-link")]
    check(fleet(project, "preview", "--expect-no-changes", env=env), 0)
    check(fleet(project, "drift", env=env), 0)
    check(fleet(project, "drift", "--engine", env=env), 0)
