"""User onboarding through the real engine, in the acceptance order:
create (adopting a console user) -> a second up writes and sends nothing -> a user activates through the
welcome email's link -> a directory user added shows in preview, and up onboards it -> a managed user deleted
outside is drift, and up --refresh re-creates it -> the application taken away from a user outside is drift,
and up --refresh deploys it again -> the deliberate re-send -> destroy deletes only what it
created. Plus: rules the directory decides fail at up with the field named, before any user write; the
Azure AD Sync path deploys the application to synced users and creates none."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from cloudlink_provider.fleet.commands.welcome import resend_welcome
from cloudlink_provider.fleet.engine.gateway import Project
from testkit.fleet_project import fleet
from testkit.secrets import assert_no_secret

pytestmark = pytest.mark.e2e

HOST = "pbx.onboard.example"
ADMIN = "/admin/2017-09-01/accounts"
TOKEN = "/authentication/2017-09-01/token"
PBX_PASSWORD = "Onboard-Pbx-2026!"
# The users the directory selects are computed at diff time, so the preview plans an update of the users resource
USERS_UPDATE = re.compile(r"~ pulumi-python:dynamic/cloudlink:UserOnboarding: \(update\)")


def spec(users: dict, pbx_type: str = "mivoice-business") -> dict:
    return {"account": {"name": "Onboard Co", "domain": "onboard.example"},
            "gateway": {"serialNumber": "CLGW-USR-0001", "type": "appliance", "name": "HQ"},
            "pbx": {"type": pbx_type, "host": HOST, "port": 443, "username": "cloudlink"},
            "users": users}


def person(ext: str, email: bool = True) -> dict:
    return {"extension": ext, "name": f"Person {ext}", "email": f"p{ext}@onboard.example" if email else None}


def set_directory(api, *entries: dict) -> None:
    r = api.http.put("/_emulator/pbx-directory", json={"host": HOST, "users": list(entries)})
    assert r.status_code == 200, r.text


def outbox(api) -> list[dict]:
    return api.http.get("/_emulator/outbox").json()["items"]


def clear_outbox(api) -> None:
    assert api.http.delete("/_emulator/outbox").status_code == 204


def live_users(api, account_id: str) -> dict[str, dict]:
    return {u["email"]: u for u in api.http.get(f"{ADMIN}/{account_id}/users").json()["_embedded"]["items"]}


def console_admin(api, account_id: str) -> dict[str, str]:
    """A bearer header of the customer's own admin (another principal than the partner's API client)."""
    seeded = api.http.post("/_emulator/seed/client", json={"accountId": account_id, "role": "ACCOUNT_ADMIN"}).json()
    token = api.http.post(TOKEN, data={"grant_type": "client_credentials", "client_id": seeded["clientId"],
                                       "client_secret": seeded["clientSecret"]}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def user_writes(api) -> list[dict]:
    return [w for w in api.writes() if "/users" in w["path"]]


def test_pbx_directory_onboarding_acceptance(new_stack, api, emulator):
    set_directory(api, person("2000"), person("2001"), person("2002"), person("2003", email=False))
    # The customer exists; a colleague already made 2001 in the console, and someone the spec does not select.
    account = api.http.post(ADMIN, json={"name": "Onboard Co", "domain": "onboard.example"})
    assert account.status_code == 201, account.text
    account_id = account.json()["accountId"]
    console = console_admin(api, account_id)  # someone else's credentials, as the console would use
    made = api.http.post(f"{ADMIN}/{account_id}/users", json={"email": "p2001@onboard.example", "name": "P"},
                         headers=console)
    other = api.http.post(f"{ADMIN}/{account_id}/users", json={"email": "other@onboard.example"}, headers=console)
    assert made.status_code == other.status_code == 201
    clear_outbox(api)
    customer = spec({"extensions": "all", "welcomeEmail": True})
    customer["account"]["adoptAccountId"] = account_id
    stack = new_stack("onboard").init(customer, {"pbxPassword": PBX_PASSWORD})
    assert "UserOnboarding" in stack.preview().stdout

    stack.up()
    users = live_users(api, account_id)
    assert set(users) == {"p2000@onboard.example", "p2001@onboard.example", "p2002@onboard.example",
                          "other@onboard.example"}  # 2003 has no email: not onboarded
    assert users["p2001@onboard.example"]["userId"] == made.json()["userId"]  # adopted, not duplicated
    assert users["p2000@onboard.example"]["extension"] == "2000"
    assert all("MITEL_ASSISTANT" in users[f"p{e}@onboard.example"]["applications"] for e in ("2000", "2001", "2002"))
    assert users["other@onboard.example"].get("applications", []) == []  # unselected: left alone
    emails = outbox(api)
    assert sorted(m["to"] for m in emails) == ["p2000@onboard.example", "p2002@onboard.example"]  # new users only
    assert all(m["activationUrl"].startswith(emulator.url) for m in emails)
    assert stack.outputs()["users"] == {"onboarded": 3, "activated": 0, "pending": 3, "pendingUsers": [
        "p2000@onboard.example", "p2001@onboard.example", "p2002@onboard.example"]}

    # No-op: a second up writes nothing and sends nothing; a refresh finds nothing to change.
    api.clear_journal()
    clear_outbox(api)
    stack.up()
    assert api.writes() == [] and outbox(api) == []
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0

    # 2000 follows the link: activated, and the password grant accepts the password it set.
    link = next(m["activationUrl"] for m in emails if m["to"] == "p2000@onboard.example")
    assert api.http.post(link, json={"password": "Welcome-2000!"}).status_code == 200
    grant = api.http.post(TOKEN, data={"grant_type": "password", "username": "p2000@onboard.example",
                                       "password": "Welcome-2000!"})
    assert grant.status_code == 201, grant.text
    stack.up("--refresh")
    assert stack.outputs()["users"]["activated"] == 1

    # A user added to the PBX: preview shows it before up onboards it (one email).
    set_directory(api, person("2000"), person("2001"), person("2002"), person("2003", email=False), person("2004"))
    planned = stack.preview("--expect-no-changes", ok=False)
    assert planned.returncode != 0 and USERS_UPDATE.search(planned.stdout), planned.stdout
    report = stack.project / "drift.json"  # the fleet's drift scan sees it too, and the pending activations
    scan = fleet(stack.project, "drift", "--stacks", stack.name, "--json", str(report), env=stack.env)
    assert scan.returncode == 3, scan.stdout + scan.stderr
    [row] = json.loads(report.read_text())["stacks"]
    assert [(r["type"], r["op"]) for r in row["resources"]] == [("cloudlink:UserOnboarding", "update")]
    assert row["users"]["pending"] == 2 and "2 users pending activation" in scan.stdout
    [change] = row["resources"]  # who, and the emails, in the reviewer's words (issue 15)
    assert "the PBX directory now selects users" in change["description"]
    assert "get the welcome email" in change["description"] and "onboard," not in change["description"]
    clear_outbox(api)
    stack.up()
    [welcome_2004] = outbox(api)
    assert welcome_2004["to"] == "p2004@onboard.example"
    assert live_users(api, account_id)["p2004@onboard.example"]["extension"] == "2004"

    # A managed user deleted in the console is drift; up --refresh re-creates it with one new email.
    gone = live_users(api, account_id)["p2002@onboard.example"]["userId"]
    assert api.http.delete(f"{ADMIN}/{account_id}/users/{gone}").status_code == 204
    drift = stack.preview("--refresh", "--expect-no-changes", ok=False)
    assert drift.returncode != 0 and USERS_UPDATE.search(drift.stdout), drift.stdout
    scan = fleet(stack.project, "drift", "--stacks", stack.name, "--markdown", str(report.with_suffix(".md")),
                 env=stack.env)
    assert scan.returncode == 3, scan.stdout + scan.stderr
    named = "user 2002 (p2002@onboard.example) deleted outside Pulumi"
    assert named in scan.stdout and named in report.with_suffix(".md").read_text()
    assert "onboard, summary" not in scan.stdout
    clear_outbox(api)
    stack.up("--refresh")
    assert [m["to"] for m in outbox(api)] == ["p2002@onboard.example"]
    assert live_users(api, account_id)["p2002@onboard.example"]["userId"] != gone
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0

    # The application taken away from an onboarded user in the console is drift (the engine's refresh and
    # the fleet's scan both see it); up --refresh deploys it again, to the same user, with no email.
    taken = live_users(api, account_id)["p2000@onboard.example"]
    assert api.http.put(f"{ADMIN}/{account_id}/users/{taken['userId']}", json={"applications": []},
                        headers=console).status_code == 200
    drift = stack.preview("--refresh", "--expect-no-changes", ok=False)
    assert drift.returncode != 0 and USERS_UPDATE.search(drift.stdout), drift.stdout
    scan = fleet(stack.project, "drift", "--stacks", stack.name, "--json", str(report), env=stack.env)
    assert scan.returncode == 3, scan.stdout + scan.stderr
    [row] = json.loads(report.read_text())["stacks"]
    assert [(r["type"], r["op"]) for r in row["resources"]] == [("cloudlink:UserOnboarding", "update")]
    clear_outbox(api)
    stack.up("--refresh")
    again = live_users(api, account_id)["p2000@onboard.example"]
    assert again["userId"] == taken["userId"] and again["applications"] == ["MITEL_ASSISTANT"]
    assert outbox(api) == []
    assert stack.preview("--refresh", "--expect-no-changes").returncode == 0

    # The deliberate re-send: once to each user still pending, skipping whoever activated since the last up.
    assert set(stack.outputs()["users"]["pendingUsers"]) == {
        "p2001@onboard.example", "p2002@onboard.example", "p2004@onboard.example"}
    assert api.http.post(welcome_2004["activationUrl"], json={"password": "Welcome-2004!"}).status_code == 200
    clear_outbox(api)
    project = Project(stack.project, stack.env["PULUMI_BACKEND_URL"])
    project.env = dict(stack.env)  # this test's passphrase
    [outcome] = resend_welcome(project, [stack.name])
    assert outcome.error is None
    assert sorted(m["to"] for m in outbox(api)) == sorted(outcome.sent) == [
        "p2001@onboard.example", "p2002@onboard.example"]
    assert outcome.activated == 1

    # Destroy deletes the users this stack created, never the adopted or unselected ones.
    created = {live_users(api, account_id)[f"p{e}@onboard.example"]["userId"] for e in ("2000", "2002", "2004")}
    api.clear_journal()
    stack.destroy()
    deleted_users = {w["path"].rsplit("/", 1)[-1] for w in api.writes()
                     if w["method"] == "DELETE" and "/users/" in w["path"]}
    assert deleted_users == created  # 2001 (adopted) and other@ are never deleted by the users resource
    assert_no_secret(stack.state_text(), [PBX_PASSWORD, "Welcome-2000!", "Welcome-2004!"], "the state")


def test_directory_rules_fail_at_up_naming_the_field_before_any_user_write(new_stack, api):
    set_directory(api, person("2000"), person("2001", email=False))
    stack = new_stack("bad").init(spec({"extensions": ["2000", "2999"]}), {"pbxPassword": PBX_PASSWORD})
    failed = stack.up(ok=False)
    assert failed.returncode != 0
    assert "customer.users.extensions: 2999 is not in the PBX directory" in failed.stdout + failed.stderr
    assert user_writes(api) == []

    stack.set_customer(spec({"extensions": ["2001"]}))
    failed = stack.preview(ok=False)  # the account exists now: preview already knows the directory
    assert "customer.users.extensions: 2001 has no email in the PBX directory" in failed.stdout + failed.stderr

    set_directory(api, *[person(str(3000 + i)) for i in range(801)])
    stack.set_customer(spec({"extensions": "all"}, pbx_type="mivoice-office-400"))
    failed = stack.up(ok=False)
    assert "selects 801 PBX users, more than the MiVoice Office 400 capacity of 800" in failed.stdout + failed.stderr
    assert user_writes(api) == []


def test_azure_ad_sync_path_deploys_the_application_to_synced_users_and_creates_none(sample_stack, api):
    stack = sample_stack("baltic-dental")  # SSO + Azure AD Sync, users: {source: azure-ad-sync}
    stack.up()
    out = stack.outputs()
    assert out["users"] == {"onboarded": 0, "activated": 0, "pending": 0, "pendingUsers": []}
    token = stack.pulumi("stack", "output", "--show-secrets", "scimToken").stdout.strip()
    with httpx.Client(base_url=out["scimBaseUrl"], headers={"Authorization": f"Bearer {token}"}) as scim:
        r = scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                      "userName": "ines@balticdental.example",
                                      "emails": [{"primary": True, "value": "ines@balticdental.example"}]})
        assert r.status_code == 201, r.text
    planned = stack.preview("--expect-no-changes", ok=False)  # Azure AD brought a user: preview shows it
    assert planned.returncode != 0 and USERS_UPDATE.search(planned.stdout), planned.stdout
    api.clear_journal()
    clear_outbox(api)
    stack.up()
    [user] = live_users(api, out["accountId"]).values()
    assert user["applications"] == ["MITEL_ASSISTANT"] and user["source"] == "SCIM"
    assert [(w["method"], w["path"].rsplit("/", 1)[-1]) for w in api.writes()] == [("PUT", user["userId"])]
    assert outbox(api) == []  # no welcome email of ours: Azure AD users sign in with SSO
    assert stack.outputs()["users"]["onboarded"] == 1
    api.clear_journal()
    stack.destroy()
    assert not [w for w in api.writes() if "/users/" in w["path"]]  # synced users are never deleted by us
