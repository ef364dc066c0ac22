"""A failed customer's error: one to three lines, the resource and operation, CloudLink's name, message and
correlation id, what to do; never a traceback, a local path or a module path."""

from __future__ import annotations

from cloudlink_provider.fleet.failures import Diagnostic, summarise

GATEWAY = "urn:pulumi:acme::cloudlink-fleet::pulumi-python:dynamic/cloudlink:Gateway::gateway"
STACK = "urn:pulumi:acme::cloudlink-fleet::pulumi:pulumi:Stack::cloudlink-fleet-acme"
TRACEBACK = """Traceback (most recent call last):
  File "/home/ci/project/.venv/lib/python3.11/site-packages/pulumi/dynamic/__main__.py", line 84, in wrapper
    return fn(self, request, context)
           ^^^^^^^^^^^^^^^^^^^^^^^^^^
  File "/home/ci/project/cloudlink_provider/client/_session.py", line 63, in attempt
    raise error
cloudlink_provider.client.errors.ServerError: 500 InternalServerError: fault injected by the emulator \
[correlation id d99de1be-9ada-4c7a-8a4b-8353ef7386f1]"""


def test_a_provider_traceback_becomes_resource_operation_api_error_and_advice():
    text = summarise([Diagnostic("update failed", STACK), Diagnostic(TRACEBACK, GATEWAY)],
                     {GATEWAY: "create"}, "acme")
    lines = text.splitlines()
    assert lines[0] == ("gateway (cloudlink:Gateway) create failed: 500 InternalServerError: fault injected by "
                        "the emulator [correlation id d99de1be-9ada-4c7a-8a4b-8353ef7386f1]")
    assert lines[1].startswith("what to do: CloudLink failed; run `cloudlink fleet up` again")
    assert len(lines) <= 3
    for leak in ("Traceback", "/home/ci", "site-packages", "cloudlink_provider.", "^^^"):
        assert leak not in text


def test_the_providers_one_line_refusal_is_kept_without_repeating_what_failed():
    message = ("CloudLinkRefused: Gateway create: CloudLink refused: 409 GatewayAlreadyAssociated: the serial is "
               "registered to another account (correlation id c-1)")
    text = summarise([Diagnostic(message, GATEWAY)], {GATEWAY: "create"}, "acme")
    assert text.splitlines() == [
        "gateway (cloudlink:Gateway) create failed: CloudLink refused: 409 GatewayAlreadyAssociated: the serial is "
        "registered to another account (correlation id c-1)",
        "what to do: another account holds this gateway serial: check gateway.serialNumber"]


def test_a_spec_error_is_one_line_with_every_rule_and_where_to_fix_it():
    spec = ("invalid customer spec:\n  - customer.account.languageCode: must look like en-GB\n"
            "  - customer.pbx.users: 6000 planned users exceed the MiVoice MX-ONE capacity of 5000\n"
            "an unhandled error occurred: program exited with non-zero exit code: 1")
    lines = summarise([Diagnostic(spec, STACK)], {}, "acme").splitlines()
    assert lines == ["invalid customer spec: customer.account.languageCode: must look like en-GB; "
                     "customer.pbx.users: 6000 planned users exceed the MiVoice MX-ONE capacity of 5000",
                     "what to do: fix stacks/Pulumi.acme.yaml (`cloudlink fleet preview --stacks acme` checks it)"]


def test_several_resource_errors_say_how_many_more():
    other = GATEWAY.replace("Gateway::gateway", "Account::account")
    text = summarise([Diagnostic("503 ServiceUnavailable: busy [correlation id a]", GATEWAY),
                      Diagnostic("503 ServiceUnavailable: busy too [correlation id b]", other)], {}, "acme")
    assert text.splitlines()[1] == "and 1 more resource error(s); --debug shows them all"
    assert len(text.splitlines()) == 3


def test_a_lock_is_named_by_who_holds_it_never_by_where_the_state_lives():
    message = ("could not create stack: the stack is currently locked by 1 lock(s). Either wait for the other "
               "process(es) to end or delete the lock file with `pulumi cancel`.\n"
               "  file:///home/ci/project/.state/.pulumi/locks/organization/p/acme/1.json: created by root@ci-7 "
               "(pid 311) at 2026-12-01T14:35:39Z")
    lines = summarise([Diagnostic(message)], {}, "acme").splitlines()
    assert lines[0].endswith("`pulumi cancel`. lock created by root@ci-7 (pid 311) at 2026-12-01T14:35:39Z")
    assert "/home/ci" not in lines[0] and "file://" not in lines[0]
    assert lines[1] == ("what to do: a killed run left its lock: `cloudlink fleet recover --stacks acme`, "
                        "then `cloudlink fleet up`")
