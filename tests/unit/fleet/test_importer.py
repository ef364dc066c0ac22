"""Turning a live customer into a stack spec: names, every spec block, secrets, credentials."""

from __future__ import annotations

import json
import subprocess

import pytest
import yaml

from cloudlink_provider.client import (Account, AzureSync, Gateway, IdentityProvider, PbxLink, PbxRole,
                                      TeamsIntegration)
from cloudlink_provider.fleet.engine.gateway import EngineResult, engine_failed, run_pulumi
from cloudlink_provider.fleet.errors import ExitCode, FleetError
from cloudlink_provider.fleet.commands.importer import (FAILED, Importer, LiveCustomer, account_block, credentials_from_options,
                                               customer_spec, secret_command, secrets_from_env,
                                               stack_name_for)
from cloudlink_provider.fleet.stacks import STACK_NAME
from cloudlink_provider.fleet.engine.gateway import Project
from cloudlink_provider.customer.model import SpecError, parse_customer
from cloudlink_provider.fleet.state.secrets import Passphrase
from cloudlink_provider.fleetfile import FleetFile
from cloudlink_provider.wire import AZURE_SAML_ENTITY_ID, AZURE_SAML_REPLY_URL
from cloudlink_provider.customer.saml import pem_certificates, pem_text
from tests.unit.identity_world import CERT_B64, CERT_PEM


@pytest.mark.parametrize("name, stack", [("ACME Iberia", "acme-iberia"), ("Café Müller GmbH", "cafe-muller-gmbh"),
                                         ("  O'Brien & Sons, Ltd. ", "o-brien-sons-ltd"), ("株式会社", "customer")])
def test_stack_names_from_account_names(name, stack):
    assert stack_name_for(name) == stack and STACK_NAME.match(stack)


def test_the_account_block_is_a_valid_spec_that_adopts_the_account():
    live = Account(accountId="acc-1", name="Bären Apotheke", domain="baeren.example", languageCode="de-DE",
                   active=False, accountNumber="7")
    block = account_block(live)
    assert block == {"name": "Bären Apotheke", "domain": "baeren.example", "languageCode": "de-DE",
                     "active": False, "adoptAccountId": "acc-1"}
    spec = parse_customer({"account": block})
    assert spec.account.adoptAccountId == "acc-1"
    assert account_block(Account(accountId="acc-2", name="Bare")) == {"name": "Bare", "adoptAccountId": "acc-2"}


def test_missing_credentials_are_bad_usage_naming_every_missing_one():
    with pytest.raises(FleetError) as e:
        credentials_from_options("http://x", None, "")
    assert e.value.exit_code == ExitCode.USAGE
    assert "CLOUDLINK_CLIENT_ID" in str(e.value) and "CLOUDLINK_CLIENT_SECRET" in str(e.value)
    assert "CLOUDLINK_ENDPOINT" not in str(e.value)
    assert credentials_from_options("http://x", "id", "secret").client_id == "id"


# --- the whole customer: API objects -> spec blocks ---------------------------------------------

ACCOUNT = Account(accountId="acc-1", name="Alpha Clinics", domain="alpha.example", languageCode="pt-PT")
TENANT = "5b1f6c7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f"


def gateway(serial: str, created: str, gateway_type: str = "APPLIANCE", name: str | None = "HQ") -> Gateway:
    return Gateway(gatewayId=f"gw-{serial}", accountId="acc-1", serialNumber=serial, type=gateway_type, name=name,
                   createdOn=created)


def link(pbx_type: str, gateway_id: str = "gw-CLGW-0001", status: str = "CONNECTED") -> PbxLink:
    return PbxLink(gatewayId=gateway_id, accountId="acc-1", pbxType=pbx_type, host="pbx.alpha.example", port=5061,
                   username="cloudlink", status=status)


def identity(account_id: str = "acc-1", **changes) -> IdentityProvider:
    saml = {"issuerId": f"https://sts.windows.net/{TENANT}/",
            "serviceProviderIssuerId": AZURE_SAML_ENTITY_ID.format(account_id=account_id),
            "serviceProviderReplyUrl": AZURE_SAML_REPLY_URL.format(account_id=account_id),
            "loginUrl": f"https://login.microsoftonline.com/{TENANT}/saml2", "certificates": [CERT_B64]}
    return IdentityProvider(accountId=account_id, type=changes.pop("type", "AZURE"),
                            active=changes.pop("active", True), saml={**saml, **changes})


def sync(enabled: bool = True) -> AzureSync:
    return AzureSync(accountId="acc-1", enabled=enabled, scimBaseUrl="https://scim.example/acc-1/v2")


def test_a_whole_customer_becomes_spec_blocks_that_parse_customer_accepts():
    live = LiveCustomer(
        account=ACCOUNT,
        gateways=sorted([gateway("CLGW-0002", "2026-01-02T00:00:00.000Z", "VIRTUAL", "DR"),
                         gateway("CLGW-0001", "2026-01-01T00:00:00.000Z")], key=lambda g: g.createdOn or ""),
        pbx_link=link("MIVOICE_5000"),
        roles=[PbxRole(accountId="acc-1", extension="2010", role="CTI", gatewayId="gw-CLGW-0001"),
               PbxRole(accountId="acc-1", extension="201", role="CTI", gatewayId="gw-CLGW-0001"),
               PbxRole(accountId="acc-1", extension="3001", role="CTI", gatewayId="gw-CLGW-0002")],
        identity=identity(logoutUrl=f"https://login.microsoftonline.com/{TENANT}/saml2/logout"),
        sync=sync())
    imported = customer_spec(live)
    assert imported.spec == {
        "account": {"name": "Alpha Clinics", "domain": "alpha.example", "languageCode": "pt-PT",
                    "adoptAccountId": "acc-1"},
        "gateway": {"serialNumber": "CLGW-0001", "type": "appliance", "name": "HQ"},
        "pbx": {"type": "mivoice-5000", "host": "pbx.alpha.example", "port": 5061, "username": "cloudlink"},
        "roles": [{"extension": "201", "role": "CTI"}, {"extension": "2010", "role": "CTI"}],
        "sso": {"provider": "azure-ad", "issuerId": f"https://sts.windows.net/{TENANT}/",
                "loginUrl": f"https://login.microsoftonline.com/{TENANT}/saml2",
                "logoutUrl": f"https://login.microsoftonline.com/{TENANT}/saml2/logout",
                "certificate": CERT_PEM, "scim": True}}
    spec = parse_customer(imported.spec)
    assert (spec.pbx.users, spec.pbx.bhcc, spec.pbx.micollabVersion) == (0, 0, None)  # defaults apply
    assert imported.needed_secrets == ["pbxPassword"]
    text = " ".join(imported.warnings)
    assert "2 gateways; imported the first by creation order (CLGW-0001)" in text and "CLGW-0002" in text
    assert "1 PBX role(s) held through other gateways" in text
    assert "rotates its SCIM token" in text


def test_teams_on_mivoice_business_with_api_enums_and_upper_case_guids():
    live = LiveCustomer(account=ACCOUNT, gateways=[gateway("CLGW-0001", "t", "EMBEDDED_SMBC")],
                        pbx_link=link("MIVOICE_BUSINESS"),
                        teams=TeamsIntegration(integrationId="it-1", accountId="acc-1", tenantId=TENANT.upper(),
                                               clientId="3F2E1D0C-9B8A-4765-8432-10FEDCBA9876", mode="BIDIRECTIONAL"))
    imported = customer_spec(live)
    assert imported.spec["gateway"]["type"] == "embedded-smbc"
    assert imported.spec["pbx"]["type"] == "mivoice-business" and "roles" not in imported.spec
    assert imported.spec["teams"] == {"tenantId": TENANT, "clientId": "3f2e1d0c-9b8a-4765-8432-10fedcba9876",
                                      "mode": "bidirectional"}
    assert imported.warnings == []
    assert imported.needed_secrets == ["pbxPassword", "teamsClientSecret"]
    assert parse_customer(imported.spec).teams.mode == "bidirectional"


@pytest.mark.parametrize("pbx_type, spec_name", [("MIVOICE_OFFICE_400", "mivoice-office-400"),
                                                 ("MX_ONE", "mx-one")])
def test_a_pbx_without_roles_gives_no_roles_block(pbx_type, spec_name):
    imported = customer_spec(LiveCustomer(account=ACCOUNT, gateways=[gateway("CLGW-0001", "t", "MBG")],
                                          pbx_link=link(pbx_type)))
    assert imported.spec["gateway"]["type"] == "mbg"
    assert imported.spec["pbx"]["type"] == spec_name and "roles" not in imported.spec
    parse_customer(imported.spec)


def test_an_account_alone_needs_no_secret():
    imported = customer_spec(LiveCustomer(account=Account(accountId="acc-2", name="Bare")))
    assert imported.spec == {"account": {"name": "Bare", "adoptAccountId": "acc-2"}}
    assert imported.needed_secrets == [] and imported.warnings == []


def test_sso_without_sync_inactive_or_foreign_and_sync_without_sso():
    quiet = customer_spec(LiveCustomer(account=ACCOUNT, identity=identity(), sync=None)).spec["sso"]
    assert "scim" not in quiet and "logoutUrl" not in quiet
    assert parse_customer({"account": {"name": "A"}, "sso": quiet}).sso.scim is False
    foreign = identity(active=False, serviceProviderReplyUrl="https://x.example/cs")
    odd = customer_spec(LiveCustomer(account=ACCOUNT, identity=foreign))
    assert any("inactive" in w for w in odd.warnings) and any("reply URL" in w for w in odd.warnings)
    orphan = customer_spec(LiveCustomer(account=ACCOUNT, sync=sync()))
    assert "sso" not in orphan.spec and any("Azure AD Sync is on but" in w for w in orphan.warnings)


@pytest.mark.parametrize("live, rule", [
    (LiveCustomer(account=ACCOUNT, teams=TeamsIntegration(integrationId="i", accountId="acc-1", tenantId=TENANT,
                                                          clientId=TENANT, mode="UNIDIRECTIONAL")),
     "customer.teams: Teams presence needs a connected PBX"),
    (LiveCustomer(account=ACCOUNT, gateways=[gateway("CLGW-0001", "t", name=None)]), "customer.gateway.name"),
    (LiveCustomer(account=ACCOUNT, gateways=[gateway("CLGW-0001", "t")], pbx_link=link("MX_ONE"),
                  roles=[PbxRole(accountId="acc-1", extension="2001", role="CTI")]),
     "customer.roles[0].role: MiVoice MX-ONE users take role USER, not CTI"),
])
def test_live_data_that_breaks_a_spec_rule_fails_with_the_rules_message(live, rule):
    with pytest.raises(SpecError) as e:
        parse_customer(customer_spec(live).spec)
    assert rule in str(e.value)


def test_certificates_come_back_as_the_pem_cloudlink_was_given():
    assert pem_text([CERT_B64]) == CERT_PEM
    assert pem_certificates(pem_text([CERT_B64, CERT_B64])) == [CERT_B64, CERT_B64]


def test_secrets_come_from_the_named_environment_variables_only():
    assert secrets_from_env({"pbxPassword": "PW", "teamsClientSecret": None}, {"PW": "s3cret"}) == \
        {"pbxPassword": "s3cret"}
    for environ in ({}, {"PW": ""}):
        with pytest.raises(FleetError) as e:
            secrets_from_env({"pbxPassword": "PW"}, environ)
        assert e.value.exit_code == ExitCode.USAGE and "PW" in str(e.value) and "s3cret" not in str(e.value)
    assert secret_command("pbxPassword", "alpha") == "pulumi config set --secret pbxPassword --stack alpha"


class _Reads:
    """A CloudLink client that only reads, holding one customer whose Teams integration has no PBX."""

    def __init__(self):
        teams = TeamsIntegration(integrationId="i", accountId="acc-1", tenantId=TENANT, clientId=TENANT,
                                 mode="UNIDIRECTIONAL")
        self.accounts = type("Accounts", (), {"list": lambda _self: iter([ACCOUNT])})()
        self.gateways = type("Gateways", (), {"list": lambda _self, _a: iter([])})()
        self.roles = type("Roles", (), {"list": lambda _self, _a: iter([])})()
        self.integrations = type("Integrations", (), {"find_teams": lambda _self, _a: teams})()
        self.identity = type("Identity", (), {"get": lambda _self, _a: None})()
        self.scim = type("Scim", (), {"get": lambda _self, _a: None})()
        self.users = type("Users", (), {"list": lambda _self, _a: iter([])})()


def test_a_customer_breaking_a_spec_rule_fails_alone_and_nothing_is_written(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    importer = Importer(Project(tmp_path), credentials_from_options("http://x", "id", "secret"), {"pbxPassword": "pw"})
    [result] = importer._import_all(_Reads())  # type: ignore[arg-type]
    assert result.status == FAILED and result.stack == "alpha-clinics"
    assert "customer.teams: Teams presence needs a connected PBX" in result.reason
    assert list((tmp_path / "stacks").iterdir()) == [] and not (tmp_path / ".state" / ".pulumi").exists()


def _customer_project(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    project = Project(tmp_path, (tmp_path / "my state").as_uri())
    project.env["PULUMI_CONFIG_PASSPHRASE"] = "unit-importer"  # no default passphrase (issue 15)
    return project


def _config_get(project, stack: str, key: str):
    done = run_pulumi(["config", "get", key, "--json", "--stack", stack], project.dir, project.env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_secrets_are_stored_encrypted_and_exact_and_never_on_a_command_line(tmp_path, monkeypatch):
    commands: list[list[str]] = []
    real_popen = subprocess.Popen

    class SpyPopen(real_popen):  # type: ignore[misc,valid-type]
        def __init__(self, args, *rest, **kw):
            commands.append([str(a) for a in args])
            super().__init__(args, *rest, **kw)

    monkeypatch.setattr(subprocess, "Popen", SpyPopen)
    project = _customer_project(tmp_path)
    client_secret, pbx = "cl-Secret [/x] with space", "pbx-pass\n"  # a trailing newline is part of the value
    importer = Importer(project, credentials_from_options("http://x", "partner", client_secret), {"pbxPassword": pbx})
    live = LiveCustomer(account=ACCOUNT, gateways=[gateway("CLGW-0001", "t", "MBG")], pbx_link=link("MX_ONE"))
    result = importer._write(live, "acme")
    assert result.status != FAILED, result.reason
    assert commands and not [c for c in commands if any(client_secret in a or "pbx-pass" in a for a in c)]
    text = (tmp_path / "stacks" / "Pulumi.acme.yaml").read_text()
    assert "cl-Secret" not in text and "pbx-pass" not in text
    config = yaml.safe_load(text)["config"]
    assert set(config["cloudlink-fleet:pbxPassword"]) == {"secure"}
    assert _config_get(project, "acme", "cloudlink-fleet:pbxPassword") == {"value": pbx, "secret": True}
    # no fleet file yet: import created one, with the credentials written once (the secret encrypted, exact)
    assert not [k for k in config if k.startswith("cloudlink:")]
    fleet_text = (tmp_path / "stacks" / "fleet.yaml").read_text()
    assert "cl-Secret" not in fleet_text
    assert FleetFile(tmp_path / "stacks").provider_settings(Passphrase(project.env["PULUMI_CONFIG_PASSPHRASE"])) == {
        "cloudlink:endpoint": "http://x", "cloudlink:clientId": "partner", "cloudlink:clientSecret": client_secret}


def test_a_stack_whose_credentials_differ_from_the_fleet_file_carries_its_own(tmp_path):
    project = _customer_project(tmp_path)
    Importer(project, credentials_from_options("http://x", "partner", "fleet-secret"), {})._fleet_file()
    importer = Importer(project, credentials_from_options("http://x", "other-partner", "its-secret"), {})
    result = importer._write(LiveCustomer(ACCOUNT), "acme")
    assert result.status != FAILED, result.reason
    config = yaml.safe_load((tmp_path / "stacks" / "Pulumi.acme.yaml").read_text())["config"]
    assert config["cloudlink:clientId"] == "other-partner" and "cloudlink:endpoint" not in config
    assert _config_get(project, "acme", "cloudlink:clientSecret") == {"value": "its-secret", "secret": True}


def test_a_stack_that_cannot_be_configured_is_removed_so_a_rerun_works(tmp_path, monkeypatch):
    project = _customer_project(tmp_path)
    Importer(project, credentials_from_options("http://x", "partner", "the fleet's"), {})._fleet_file()
    importer = Importer(project, credentials_from_options("http://x", "partner", "secret"), {})
    live = LiveCustomer(ACCOUNT)
    def refused(stack: str, key: str, value: str, secret: bool = False) -> None:
        raise engine_failed(EngineResult(("config", "set"), "", "warning: something\nerror: the engine said no\n", 255))

    monkeypatch.setattr(project, "set_config", refused)
    failed = importer._write(live, "acme")
    assert (failed.status, failed.reason) == (FAILED, "setting cloudlink:clientSecret: error: the engine said no")
    assert project.export("acme") is None  # the half-configured stack was removed from the backend
    assert not (tmp_path / "stacks" / "Pulumi.acme.yaml").exists()
    monkeypatch.undo()
    again = importer._write(live, "acme")
    assert again.status != FAILED, again.reason
    assert _config_get(project, "acme", "cloudlink:clientSecret")["value"] == "secret"


def test_an_identity_provider_of_an_unknown_type_is_left_out_with_one_line_not_a_spec_error():
    imported = customer_spec(LiveCustomer(account=ACCOUNT, identity=identity(type="OKTA"), sync=sync()))
    parse_customer(imported.spec)  # the rest of the customer imports
    assert "sso" not in imported.spec
    [line] = [w for w in imported.warnings if "OKTA" in w]
    assert "does not manage" in line and "no `sso` block" in line and "\n" not in line
    assert not any("Azure AD Sync is on but" in w for w in imported.warnings)


def test_users_an_import_leaves_out_are_named():
    from cloudlink_provider.client import User

    users = [User(userId=f"u{i}", accountId="acc-1", email=f"u{i}@x.example", extension=ext)
             for i, ext in enumerate(["2010", "2002", None])]
    imported = customer_spec(LiveCustomer(account=ACCOUNT, users=users))
    [line] = [w for w in imported.warnings if "not imported" in w and "user" in w]
    assert line.startswith("3 CloudLink user(s) (extensions 2002, 2010) not imported: no `users` block")


def test_one_shared_secret_for_several_customers_is_refused_and_a_pattern_gives_each_its_own():
    from cloudlink_provider.fleet.errors import FleetError
    from cloudlink_provider.fleet.import_secrets import refuse_shared, secret_sources, variable_for

    environ = {"PBX_PW": "one-for-all", "PBX_PW_ACME_IBERIA": "a", "PBX_PW_BALTIC": "b"}
    shared = secret_sources({"pbxPassword": ("--pbx-password-env", "PBX_PW")}, environ)
    refuse_shared(shared, {"pbxPassword": ["acme"]})  # one customer: its own
    with pytest.raises(FleetError) as e:
        refuse_shared(shared, {"pbxPassword": ["acme-iberia", "baltic"]})
    assert e.value.exit_code == 2 and "same pbxPassword to 2 customers" in str(e.value)
    assert "PBX_PW_{stack}" in str(e.value)
    own = secret_sources({"pbxPassword": ("--pbx-password-env", "PBX_PW_{stack}")}, environ)
    refuse_shared(own, {"pbxPassword": ["acme-iberia", "baltic"]})
    assert variable_for("PBX_PW_{stack}", "acme-iberia") == "PBX_PW_ACME_IBERIA"
    assert own["pbxPassword"].value("acme-iberia", environ) == "a"
    assert own["pbxPassword"].value("nobody", environ) is None
    with pytest.raises(FleetError):
        secret_sources({"pbxPassword": ("--pbx-password-env", "UNSET_VAR")}, environ)
