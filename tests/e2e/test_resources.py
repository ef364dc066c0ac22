"""Each resource through the real engine in the terraform acceptance order:
create -> second up writes nothing -> refresh shows no changes -> update in place -> replace ->
out-of-band change detected and undone -> out-of-band delete re-created -> destroy."""

from __future__ import annotations

import copy
import json

import httpx
import pytest

from cloudlink_provider.fleet.engine.env import PROJECT_ROOT

pytestmark = pytest.mark.e2e

GW = "/gateway/2017-09-01/accounts"
INTEGRATIONS = "/integrations/2017-09-01/accounts"
TENANT = "7c1e2d3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f"
APP = "3f2e1d0c-9b8a-4765-8432-10fedcba9876"


def customer(pbx_type: str | None = None, **blocks) -> dict:
    spec = {"account": {"name": "Acceptance Co", "domain": "acceptance.example"},
            "gateway": {"serialNumber": "CLGW-ACC-0001", "type": "appliance", "name": "HQ"}}
    if pbx_type:
        spec["pbx"] = {"type": pbx_type, "host": "pbx.acceptance.example", "port": 443, "username": "cloudlink"}
    spec.update(blocks)
    return spec


def edit(spec: dict, path: str, value) -> dict:
    spec = copy.deepcopy(spec)
    *parents, leaf = path.split(".")
    node = spec
    for p in parents:
        node = node[p]
    node[leaf] = value
    return spec


def no_op_and_clean(stack, api) -> None:
    """A second up writes nothing, and a refresh finds nothing to change."""
    api.clear_journal()
    stack.up()
    assert api.writes() == []
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0


def drift_is_reported_then_undone(stack, api, method: str, path: str, body: dict | None, evidence: str) -> None:
    response = api.http.request(method, path, json=body)
    assert response.status_code in (200, 204), response.text
    drift = stack.preview("--refresh", "--expect-no-changes", ok=False)
    assert drift.returncode != 0, drift.stdout
    assert evidence in drift.stdout
    stack.up("--refresh")
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0


def test_gateway_acceptance(new_stack, api):
    spec = customer()
    stack = new_stack("gw").init(spec)
    stack.up()
    out = stack.outputs()
    acct, gw = out["accountId"], out["gatewayId"]
    live = api.http.get(f"{GW}/{acct}/gateways/{gw}").json()
    assert (live["serialNumber"], live["type"], live["name"]) == ("CLGW-ACC-0001", "APPLIANCE", "HQ")
    no_op_and_clean(stack, api)

    stack.set_customer(edit(spec, "gateway.name", "Head office"))  # in place
    stack.up()
    assert stack.outputs()["gatewayId"] == gw
    assert api.http.get(f"{GW}/{acct}/gateways/{gw}").json()["name"] == "Head office"

    spec = edit(edit(spec, "gateway.name", "Head office"), "gateway.serialNumber", "CLGW-ACC-0002")  # replace
    stack.set_customer(spec)
    stack.up()
    new_gw = stack.outputs()["gatewayId"]
    assert new_gw != gw
    assert api.http.get(f"{GW}/{acct}/gateways/{gw}").status_code == 404
    assert api.http.get(f"{GW}/{acct}/gateways/{new_gw}").json()["serialNumber"] == "CLGW-ACC-0002"

    drift_is_reported_then_undone(stack, api, "PUT", f"{GW}/{acct}/gateways/{new_gw}", {"name": "Renamed"},
                                  "Renamed")
    assert api.http.get(f"{GW}/{acct}/gateways/{new_gw}").json()["name"] == "Head office"

    api.http.delete(f"{GW}/{acct}/gateways/{new_gw}")
    stack.up("--refresh")
    again = stack.outputs()["gatewayId"]
    assert again != new_gw and api.http.get(f"{GW}/{acct}/gateways/{again}").status_code == 200

    stack.destroy()
    assert api.http.get(f"/admin/2017-09-01/accounts/{acct}").status_code == 404


def test_pbx_connection_acceptance(new_stack, api):
    spec = customer("mx-one")
    stack = new_stack("pbx").init(spec, secrets={"pbxPassword": "first-Pa55word"})
    stack.up()
    out = stack.outputs()
    acct, gw = out["accountId"], out["gatewayId"]
    link = f"{GW}/{acct}/gateways/{gw}/pbx-link"
    live = api.http.get(link).json()
    assert (live["pbxType"], live["host"], live["status"]) == ("MX_ONE", "pbx.acceptance.example", "CONNECTED")
    assert out["pbxStatus"] == "CONNECTED"
    no_op_and_clean(stack, api)

    spec = edit(spec, "pbx.host", "pbx2.acceptance.example")  # in place: reconnects
    stack.set_customer(spec)
    stack.set_config("pbxPassword", "second-Pa55word", secret=True)
    api.clear_journal()
    stack.up()
    assert [w["method"] for w in api.writes()] == ["PUT"]
    assert api.http.get(link).json()["host"] == "pbx2.acceptance.example"

    spec = edit(spec, "pbx.type", "mivoice-5000")  # replace: one link per gateway, deleted first
    stack.set_customer(spec)
    api.clear_journal()
    stack.up()
    assert [w["method"] for w in api.writes()] == ["DELETE", "POST"]
    assert api.http.get(link).json()["pbxType"] == "MIVOICE_5000"

    drift_is_reported_then_undone(stack, api, "PUT", link, {"port": 8443}, "8443")
    assert api.http.get(link).json()["port"] == 443

    api.http.delete(link)
    stack.up("--refresh")
    assert api.http.get(link).json()["status"] == "CONNECTED"

    state = stack.state_text()
    assert "first-Pa55word" not in state and "second-Pa55word" not in state
    stack.destroy()
    assert api.http.get(f"/admin/2017-09-01/accounts/{acct}").status_code == 404


def test_role_assignment_acceptance(new_stack, api):
    roles = [{"extension": "2001", "role": "CTI"}, {"extension": "2002", "role": "CTI"}]
    spec = customer("mivoice-5000", roles=roles)
    stack = new_stack("roles").init(spec, secrets={"pbxPassword": "pw"})
    stack.up()
    acct = stack.outputs()["accountId"]
    held = lambda: {r["extension"]: r["role"] for r in  # noqa: E731
                    api.http.get(f"{GW}/{acct}/pbx/roles").json()["_embedded"]["items"]}
    assert held() == {"2001": "CTI", "2002": "CTI"}
    no_op_and_clean(stack, api)

    # A role given in the console on an extension the spec does not list is left alone.
    assert api.http.put(f"{GW}/{acct}/pbx/roles/2999", json={"role": "CTI"}).status_code in (200, 201)
    spec = edit(spec, "roles", [{"extension": "2002", "role": "CTI"}, {"extension": "2003", "role": "CTI"}])
    stack.set_customer(spec)
    api.clear_journal()
    stack.up()
    assert sorted((w["method"], w["path"].rsplit("/", 1)[1]) for w in api.writes()) == [
        ("DELETE", "2001"), ("PUT", "2003")]
    assert held() == {"2002": "CTI", "2003": "CTI", "2999": "CTI"}

    drift_is_reported_then_undone(stack, api, "DELETE", f"{GW}/{acct}/pbx/roles/2003", None, "2003")
    assert held() == {"2002": "CTI", "2003": "CTI", "2999": "CTI"}

    stack.destroy()
    assert api.http.get(f"/admin/2017-09-01/accounts/{acct}").status_code == 404


def test_teams_integration_acceptance(new_stack, api):
    teams = {"tenantId": TENANT, "clientId": APP, "mode": "bidirectional"}
    spec = customer("mivoice-business", teams=teams)
    stack = new_stack("teams").init(spec, secrets={"pbxPassword": "pw", "teamsClientSecret": "teams-Secret-1"})
    stack.up()
    out = stack.outputs()
    acct = out["accountId"]
    items = api.http.get(f"{INTEGRATIONS}/{acct}/integrations").json()["_embedded"]["items"]
    assert len(items) == 1 and items[0]["mode"] == "BIDIRECTIONAL" and items[0]["status"] == "CONSENT_PENDING"
    assert out["teamsStatus"] == "CONSENT_PENDING" and TENANT in out["teamsConsentUrl"]
    it = items[0]["integrationId"]
    no_op_and_clean(stack, api)

    spec = edit(spec, "teams.mode", "unidirectional")  # in place
    stack.set_customer(spec)
    stack.up()
    assert api.http.get(f"{INTEGRATIONS}/{acct}/integrations/{it}").json()["mode"] == "UNIDIRECTIONAL"

    spec = edit(spec, "teams.tenantId", "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d")  # replace, delete first
    stack.set_customer(spec)
    api.clear_journal()
    stack.up()
    assert [w["method"] for w in api.writes()] == ["DELETE", "POST"]
    items = api.http.get(f"{INTEGRATIONS}/{acct}/integrations").json()["_embedded"]["items"]
    assert [i["tenantId"] for i in items] == ["0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"]
    it = items[0]["integrationId"]

    drift_is_reported_then_undone(stack, api, "PUT", f"{INTEGRATIONS}/{acct}/integrations/{it}",
                                  {"mode": "BIDIRECTIONAL"}, "bidirectional")

    api.http.delete(f"{INTEGRATIONS}/{acct}/integrations/{it}")
    stack.up("--refresh")
    assert api.http.get(f"{INTEGRATIONS}/{acct}/integrations").json()["count"] == 1

    assert "teams-Secret-1" not in stack.state_text()
    stack.destroy()
    assert api.http.get(f"/admin/2017-09-01/accounts/{acct}").status_code == 404


def _cert() -> str:
    return (PROJECT_ROOT / "stacks" / "Pulumi.acme-iberia.yaml").read_text().split("certificate: |\n")[1] \
        .split("      scim:")[0].replace("        ", "")


def test_sso_scim_acceptance(new_stack, api):
    tenant = "https://login.microsoftonline.com/5b1f6c7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f/saml2"
    sso = {"issuerId": "https://sts.windows.net/5b1f6c7e-1d2a-4c3b-9e8f-0a1b2c3d4e5f/", "loginUrl": tenant,
           "certificate": _cert(), "scim": True}
    spec = {"account": {"name": "SSO Co"}, "sso": sso}
    stack = new_stack("sso").init(spec)
    stack.up()
    out = json.loads(stack.pulumi("stack", "output", "--json", "--show-secrets").stdout)
    acct, token = out["accountId"], out["scimToken"]
    assert out["ssoEntityId"].endswith(f"/saml2/{acct}")
    idp = api.http.get(f"/authentication/2017-09-01/identityProviders/{acct}").json()
    assert idp["saml"]["loginUrl"] == tenant
    # The token is the one Azure AD would use: it works against the SCIM endpoint.
    users = httpx.get(out["scimBaseUrl"] + "/Users", headers={"Authorization": f"Bearer {token}"})
    assert users.status_code == 200 and users.json()["totalResults"] == 0
    assert stack.outputs()["scimToken"] == "[secret]"
    no_op_and_clean(stack, api)

    spec = edit(spec, "sso.loginUrl", tenant + "/v2")  # in place
    stack.set_customer(spec)
    stack.up()
    assert api.http.get(f"/authentication/2017-09-01/identityProviders/{acct}").json()["saml"]["loginUrl"] == \
        tenant + "/v2"

    stack.set_customer(edit(spec, "sso.scim", False))  # sync off: the token stops working
    stack.up()
    assert api.http.get(f"/scim/2017-09-01/accounts/{acct}/azure-sync").status_code == 404
    stack.set_customer(spec)  # on again: a fresh token
    stack.up()
    fresh = json.loads(stack.pulumi("stack", "output", "--json", "--show-secrets").stdout)["scimToken"]
    assert fresh and fresh != token
    assert httpx.get(out["scimBaseUrl"] + "/Users", headers={"Authorization": f"Bearer {fresh}"}).status_code == 200

    drift_is_reported_then_undone(stack, api, "PUT", f"/authentication/2017-09-01/identityProviders/{acct}",
                                  {"saml": {"loginUrl": "https://evil.example/saml2"}}, "evil.example")

    api.http.delete(f"/authentication/2017-09-01/identityProviders/{acct}")
    stack.up("--refresh")
    assert api.http.get(f"/authentication/2017-09-01/identityProviders/{acct}").status_code == 200

    state = stack.state_text()
    assert token not in state and fresh not in state
    stack.destroy()
    assert api.http.get(f"/admin/2017-09-01/accounts/{acct}").status_code == 404
