"""The emulator's OpenAPI document tells the truth: the third-party fuzzer schemathesis, run against the live
emulator, finds no server error, no answer outside its documented schema and no undocumented status code.
And malformed input is refused: with negative data generation (every body field of every route given a
wrong JSON type, required fields left out, unknown fields added, ...) every malformed body is refused
with a 4xx, never a success or a 500, and every 400 carries a named error (`{name, message}`; SCIM's
`scimType`).

Bounded and deterministic: a few derandomized examples per operation (hypothesis' `derandomize`), every
CloudLink route as a partner admin would call it. The `/_emulator/` controls are left out: they reset
the world, inject faults and change the rate limit, by design.
"""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis import GenerationMode
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import (negative_data_rejection, response_schema_conformance,
                                               status_code_conformance)

from cloudlink_provider.emulator.app import create_app
from tests.unit.identity_world import emulator, fresh_world  # noqa: F401  (module-scoped server)
from tests.unit.identity_world import ADMIN, SCIM, bearer_of, partner_auth

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance]
EXAMPLES = 6  # per operation: enough to cross every documented answer, fast enough for every run

# Calls that, on the shared account, would leave the rest of the run nothing to reach: deleting the
# account, and voiding the SCIM token (rotating or disabling Azure AD Sync). They run on random ids.
SPOILERS = {("DELETE", "{account_id}"), ("POST", "token"), ("DELETE", "azure-sync")}

# The document the server serves is built from the code alone; the live one is compared below.
_APP = create_app(":memory:")
DOCUMENT = _APP.app.openapi()
_APP.store.db.close()
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT).exclude(path_regex="^/_emulator/")
NEGATIVE = schemathesis.openapi.from_dict(DOCUMENT).exclude(path_regex="^/_emulator/")
NEGATIVE.config.generation.update(modes=[GenerationMode.NEGATIVE])  # bodies that break the documented schema


@schemathesis.check
def named_error(ctx, response, case) -> bool | None:
    """A 400 says which rule: CloudLink's `{name, message}`, or SCIM's error with its `scimType` or detail."""
    if response.status_code != 400:
        return None
    body = response.json()
    if "/v2/" in case.path:
        assert body.get("scimType") or body.get("detail"), f"a SCIM 400 without scimType or detail: {body}"
    else:
        assert isinstance(body.get("name"), str) and body["name"] and body.get("message"), \
            f"a 400 without a named error: {body}"
    return True


@pytest.fixture(scope="module")
def world(emulator):
    """A partner's token, one customer account, and that account's SCIM token."""
    with httpx.Client(base_url=emulator.url) as http:
        auth = partner_auth(http)
        account = http.post(f"{ADMIN}/accounts", json={"name": "Fuzzed"}, headers=auth).json()["accountId"]
        sync = http.post(f"{SCIM}/accounts/{account}/azure-sync", headers=auth).json()
        http.delete("/_emulator/requests")
        yield {"auth": auth, "account": account, "scim": bearer_of(sync["token"])}
        seen = http.get("/_emulator/requests").json()
        print(f"\nschemathesis: {seen['count']} requests to the emulator, by status "
              f"{dict(sorted(Counter(str(i['status']) for i in seen['items']).items()))}")


@pytest.fixture(autouse=True)
def fresh_world():
    """One world for the whole run (the shared one resets before each test, which would void the token)."""


def test_the_live_document_is_the_one_fuzzed(emulator):
    assert httpx.get(f"{emulator.url}/openapi.json").json() == DOCUMENT
    operations = sum(1 for path, ops in DOCUMENT["paths"].items() if not path.startswith("/_emulator/")
                     for _ in ops)
    assert operations >= 50  # every CloudLink operation is in the run (56 today)
    for path, ops in DOCUMENT["paths"].items():
        for method, op in ops.items():
            assert "422" not in op["responses"], (method, path)  # the emulator answers 400, so it says 400
            ok = [status for status in op["responses"] if status.startswith("2")]
            assert ok, (method, path)
            bodiless = method == "delete" or path.endswith("/reset")  # 204, or Mitel's empty 200 [doc]
            assert bodiless or all("content" in op["responses"][status] for status in ok), (method, path)
            takes_nothing = path.endswith(("/reset", "/azure-sync", "/azure-sync/token", "/welcome-email"))
            if method in ("post", "put", "patch") and not takes_nothing:
                assert "requestBody" in op, (method, path)


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_documented(case, emulator, world):
    params = case.path_parameters or {}
    if "account_id" in params and (case.method, case.path.rsplit("/", 1)[-1]) not in SPOILERS:
        params["account_id"] = world["account"]
    auth = world["scim"] if "/v2/" in case.path else world["auth"]
    case.call_and_validate(base_url=emulator.url, headers=auth, checks=CHECKS)


@NEGATIVE.parametrize()
@settings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
          suppress_health_check=list(HealthCheck))
def test_every_operation_refuses_malformed_input_with_a_named_400(case, emulator, world):
    params = case.path_parameters or {}
    if "account_id" in params and (case.method, case.path.rsplit("/", 1)[-1]) not in SPOILERS:
        params["account_id"] = world["account"]
    auth = world["scim"] if "/v2/" in case.path else world["auth"]
    # A malformed body must be refused; a query string or header with names or values the document does not
    # give is only held to the other checks (CloudLink ignores parameters and headers it does not know).
    refused = [negative_data_rejection] if case.meta and case.meta.is_negative_at(ParameterLocation.BODY) else []
    case.call_and_validate(base_url=emulator.url, headers=auth, checks=[*CHECKS, *refused, named_error])
