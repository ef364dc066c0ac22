"""Change texts a reviewer can act on (issue 15, point 8): names, not internal fields; no cut-off change."""

from __future__ import annotations

from cloudlink_provider.fleet.events import FieldChange, ResourceChange
from cloudlink_provider.fleet.report import FleetReport, StackOutcome, describe_resource, markdown

ROLES = [{"extension": "2001", "role": "CTI"}, {"extension": "2002", "role": "CTI"},
         {"extension": "2003", "role": "CTI"}, {"extension": "2004", "role": "CTI"}]


def change(type_: str, op: str, fields=(), outside=(), inputs=None, old_inputs=None) -> ResourceChange:
    return ResourceChange(f"urn:pulumi:s::p::pulumi-python:dynamic/{type_}::x", type_, type_.split(":")[1].lower(),
                          op, list(fields), list(outside), inputs=inputs or {}, old_inputs=old_inputs or {})


def test_a_role_removed_in_the_console_names_the_extension_in_every_format():
    console = [r for r in ROLES if r["extension"] != "2004"] + [{"extension": "2002", "role": "USER"}]
    console = [r for r in console if r != {"extension": "2002", "role": "CTI"}]
    step = change("cloudlink:RoleAssignment", "update", [FieldChange("roles", console, ROLES)])
    text = describe_resource(step)
    assert "roles: 2004 CTI added; 2002 USER -> CTI" in text, text
    report = FleetReport("drift", "file:///s", [StackOutcome("acme", "drifted", resources=[step])])
    assert "2004 CTI added" in markdown(report)
    assert "2004 CTI added" in report.to_json()["stacks"][0]["resources"][0]["description"]
    removed = describe_resource(change("cloudlink:RoleAssignment", "update", [FieldChange("roles", ROLES, ROLES[:3])]))
    assert "2004 (CTI) removed" in removed


def test_a_deleted_user_is_named_not_internal_fields():
    users = [{"key": "2001", "email": "ann@acme.example", "activated": True},
             {"key": "2003", "email": "bob@acme.example", "activated": False}]
    step = change("cloudlink:UserOnboarding", "update", [FieldChange("onboard", ["2001"], ["2001", "2003"])],
                  outside=[FieldChange("onboard", ["2001", "2003"], ["2001"]), FieldChange("summary", {}, {}),
                           FieldChange("users", users, users[:1])],
                  inputs={"source": "pbx-directory", "onboard": ["2001", "2003"]}, old_inputs={"onboard": ["2001"]})
    text = describe_resource(step)
    assert text.endswith("[user 2003 (bob@acme.example) deleted outside Pulumi]"), text
    assert "onboards 2003" in text and "at most 1 email)" in text
    assert "summary" not in text and "onboard," not in text and "onboard [" not in text


def test_a_users_preview_says_who_and_how_many_welcome_emails():
    step = change("cloudlink:UserOnboarding", "create",
                  inputs={"source": "pbx-directory", "onboard": ["2010", "2001", "2002"], "welcomeEmail": None})
    text = describe_resource(step)
    assert "onboards 2001, 2002, 2010" in text and "adopted (no email)" in text and "at most 3 emails" in text


def test_adopting_sso_with_azure_ad_sync_says_the_scim_token_rotates():
    step = change("cloudlink:SsoScimIntegration", "adopt", inputs={"scim": True})
    assert "rotates the Azure AD Sync SCIM token" in describe_resource(step)
    assert "rotates" not in describe_resource(change("cloudlink:SsoScimIntegration", "create", inputs={"scim": True}))
    rotate = change("cloudlink:SsoScimIntegration", "update", [FieldChange("scimTokenCurrent", False, True)],
                    inputs={"scim": True})
    assert "rotates the Azure AD Sync SCIM token" in describe_resource(rotate)
    assert "scimTokenCurrent" not in describe_resource(rotate)


def test_a_long_value_is_shown_around_its_difference():
    old, new = "x" * 100 + "OLD", "x" * 100 + "NEW"
    text = describe_resource(change("cloudlink:Account", "update", [FieldChange("description", old, new)]))
    assert "OLD" in text and "NEW" in text


def test_adopted_roles_are_listed_by_extension():
    step = change("cloudlink:RoleAssignment", "adopt", inputs={"roles": list(reversed(ROLES))})
    assert describe_resource(step).endswith("roles: 2001 CTI, 2002 CTI, 2003 CTI, 2004 CTI")


def test_a_users_create_without_a_resolved_selection_names_the_chosen_extensions():
    step = change("cloudlink:UserOnboarding", "create",
                  inputs={"source": "pbx-directory", "extensions": ["2010", "2001"], "welcomeEmail": False})
    text = describe_resource(step)
    assert "onboards extensions 2001, 2010" in text and "(no welcome email)" in text


def test_a_users_update_with_no_field_change_says_the_selection_changed():
    step = change("cloudlink:UserOnboarding", "update", inputs={"source": "pbx-directory", "extensions": "all"})
    assert "the PBX directory now selects users" in describe_resource(step)
