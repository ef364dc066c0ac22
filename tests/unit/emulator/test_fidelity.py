"""Fidelity: the emulator's /token, GET /token, /assume-role/token and /identityProviders against
Mitel's published Authentication API spec (tests/reference/, with where it came from).

Requests (as our client really sends them) are validated against the spec's request schemas,
responses against its response schemas, and every status code must be one the spec lists for
that operation; error bodies must carry a `name` from the spec's enumeration for that status.
Only `components/schemas` and inline schemas are used: the spec's `components/parameters` and
`components/responses` references do not resolve (see tests/reference/README.md).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

from cloudlink_provider.client import ClientConfig, CloudLink, azure_saml
from cloudlink_provider.emulator.store import DEMO_PARTNER
from tests.unit.identity_world import emulator, fresh_world  # noqa: F401  (module-scoped server)
from tests.unit.identity_world import (ADMIN, AUTH, CERT_PEM, TENANT, bearer_of, new_account, partner_auth, saml,
                                       seed_client, seed_user)

REPO = Path(__file__).resolve().parents[3]
SPEC_FILE = REPO / "tests" / "reference" / "mitel-authentication-api-2017-09-01.openapi.json"
SPEC_URI = "urn:mitel:authentication-api"


@pytest.fixture(scope="module")
def spec() -> dict:
    if not SPEC_FILE.is_file():
        pytest.fail(f"Mitel's Authentication API spec is missing: expected it at {SPEC_FILE} "
                    "(see tests/reference/README.md)")
    return json.loads(SPEC_FILE.read_text())


@pytest.fixture(scope="module")
def check(spec):
    registry = Registry().with_resource(SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT7))

    def validate(instance, pointer: str) -> None:
        """Validate against the schema at a JSON pointer into the spec; list every violation."""
        validator = Draft7Validator({"$ref": f"{SPEC_URI}#{pointer}"}, registry=registry)
        problems = [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
                    for e in validator.iter_errors(instance)]
        assert not problems, f"not valid against {pointer}:\n" + "\n".join(problems)
    return validate


def op_pointer(path: str, method: str) -> str:
    return "/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method.lower()


@pytest.fixture(scope="module")
def response(spec, check):
    """Assert a response is one the spec documents for (path, method): its status and body."""
    def verify(r: httpx.Response, path: str, method: str) -> dict:
        responses = spec["paths"][path][method.lower()]["responses"]
        assert str(r.status_code) in responses, f"{method} {path} answered {r.status_code}, not in the spec: {r.text}"
        documented = responses[str(r.status_code)]
        content = documented.get("content", {}).get("application/json")
        body = r.json() if r.content else None
        if content is None:
            return body
        check(body, f"{op_pointer(path, method)}/responses/{r.status_code}/content/application~1json/schema")
        if r.status_code >= 400:
            assert body.get("name"), f"an error without a name: {r.text}"
            names = _names(spec, content["schema"])
            assert body["name"] in names, f"{body['name']} is not among the spec's {names} for {r.status_code}"
        return body
    return verify


def _names(spec: dict, schema: dict) -> list[str]:
    if "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema["properties"]["name"]["enum"]


class Recorder(httpx.BaseTransport):
    """The real transport, remembering every request the client sent."""

    def __init__(self):
        self.inner, self.sent = httpx.HTTPTransport(), []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(request)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


# --- requests -----------------------------------------------------------------------------------
def test_the_clients_requests_follow_the_spec(emulator, http, check):
    account = new_account(http, partner_auth(http))
    recorder = Recorder()
    config = ClientConfig(emulator.url, DEMO_PARTNER["client_id"], DEMO_PARTNER["client_secret"])
    with CloudLink(config, transport=recorder) as client:
        client.whoami()
        client.identity.put(account, azure_saml(account, TENANT, CERT_PEM))  # POST
        client.identity.put(account, azure_saml(account, TENANT, CERT_PEM), active=False)  # PUT
        client.session.tokens.invalidate(client.session.tokens.bearer())
        client.session.tokens.clock = lambda: float("inf")  # past renewal time: the refresh_token grant
        client.whoami()
    token_forms = [dict(parse_qsl(r.content.decode())) for r in recorder.sent if r.url.path.endswith("/token")
                   and r.method == "POST"]
    assert {f["grant_type"] for f in token_forms} == {"client_credentials", "refresh_token"}
    for form in token_forms:
        check(form, op_pointer("/token", "post") + "/requestBody/content/application~1x-www-form-urlencoded/schema")
    idp = [r for r in recorder.sent if "/identityProviders" in r.url.path and r.method in ("POST", "PUT")]
    assert [r.method for r in idp] == ["POST", "PUT"]
    check(json.loads(idp[0].content), "/components/schemas/identityProviderPostRequest")
    check(json.loads(idp[1].content), "/components/schemas/identityProviderPutRequest")


def test_our_test_requests_follow_the_spec(check):
    form = {"grant_type": "password", "username": "a@b.test", "password": "x", "account_id": "1234"}
    check(form, op_pointer("/token", "post") + "/requestBody/content/application~1x-www-form-urlencoded/schema")
    check({"accountId": "1234", "role": "ACCOUNT_ADMIN"}, "/components/schemas/assumeRoleTokenPostRequest")
    check({"type": "AZURE", "active": True, "saml": saml("1234")}, "/components/schemas/identityProviderPostRequest")


# --- /token --------------------------------------------------------------------------------------
def test_token_grants(http, response, check):
    account = new_account(http, partner_auth(http))
    seed_user(http, account, "pat@acme.test", "pw")
    r = http.post(f"{AUTH}/token", data={"grant_type": "client_credentials", "client_id": DEMO_PARTNER["client_id"],
                                         "client_secret": DEMO_PARTNER["client_secret"]})
    assert r.status_code == 201
    issued = response(r, "/token", "POST")
    check(issued, "/components/schemas/token")
    r = http.post(f"{AUTH}/token", data={"grant_type": "password", "username": "pat@acme.test", "password": "pw"})
    assert r.status_code == 201
    response(r, "/token", "POST")
    r = http.post(f"{AUTH}/token", data={"grant_type": "refresh_token", "refresh_token": issued["refresh_token"]})
    assert r.status_code == 201
    response(r, "/token", "POST")


def test_token_errors(http, response):
    a, b = (new_account(http, partner_auth(http), n) for n in ("A", "B"))
    seed_user(http, a, "dup@acme.test", "pw")
    seed_user(http, b, "dup@acme.test", "pw")
    seed_user(http, a, "off@acme.test", "pw", active=False)
    cases = [
        ({"client_id": "x"}, 400),
        ({"grant_type": "device_code"}, 400),
        ({"grant_type": "client_credentials", "client_id": DEMO_PARTNER["client_id"], "client_secret": "no"}, 401),
        ({"grant_type": "password", "username": "nobody@acme.test", "password": "pw"}, 401),
        ({"grant_type": "password", "username": "dup@acme.test", "password": "pw"}, 409),
        ({"grant_type": "password", "username": "off@acme.test", "password": "pw"}, 403),
    ]
    for form, status in cases:
        r = http.post(f"{AUTH}/token", data=form)
        assert r.status_code == status, r.text
        response(r, "/token", "POST")


def test_get_token_claims(http, response, check):
    r = http.get(f"{AUTH}/token", headers=partner_auth(http))
    assert r.status_code == 200
    check(response(r, "/token", "GET"), "/components/schemas/claims")
    r = http.get(f"{AUTH}/token")
    assert r.status_code == 400
    response(r, "/token", "GET")


# --- /assume-role/token --------------------------------------------------------------------------
def test_assume_role(http, response, check):
    partner = partner_auth(http)
    account = new_account(http, partner)
    r = http.post(f"{AUTH}/assume-role/token", json={"accountId": account, "role": "ACCOUNT_ADMIN"}, headers=partner)
    assert r.status_code == 201
    check(response(r, "/assume-role/token", "POST"), "/components/schemas/token")
    claims = http.get(f"{AUTH}/token", headers=bearer_of(r.json()["access_token"]))
    check(claims.json(), "/components/schemas/claims")


def test_assume_role_errors(http, response):
    partner = partner_auth(http)
    account = new_account(http, partner)
    stranger = new_account(http, partner_auth(http), "Sibling")
    admin = seed_client(http, account, "ACCOUNT_ADMIN")
    cases = [
        (partner, {"accountId": account, "role": "PARTNER_ADMIN"}, 400),
        (partner, {"accountId": account}, 400),
        (partner, {"role": "EMPEROR"}, 400),
        (partner, {"accountId": "no-such-account", "role": "USER"}, 404),
        (admin, {"accountId": stranger, "role": "USER"}, 403),
    ]
    for auth, body, status in cases:
        r = http.post(f"{AUTH}/assume-role/token", json=body, headers=auth)
        assert r.status_code == status, r.text
        response(r, "/assume-role/token", "POST")
    r = http.post(f"{AUTH}/assume-role/token", content=b"{", headers={**partner, "content-type": "application/json"})
    assert r.status_code == 400
    response(r, "/assume-role/token", "POST")
    assert http.put(f"{ADMIN}/accounts/{account}", json={"active": False}, headers=partner).status_code == 200
    r = http.post(f"{AUTH}/assume-role/token", json={"accountId": account, "role": "USER"}, headers=partner)
    assert r.status_code == 403
    response(r, "/assume-role/token", "POST")


# --- /identityProviders --------------------------------------------------------------------------
def test_identity_providers(http, response, check):
    partner = partner_auth(http)
    account = new_account(http, partner)
    admin = seed_client(http, account, "ACCOUNT_ADMIN")
    r = http.get(f"{AUTH}/identityProviders", headers=admin)
    check(response(r, "/identityProviders", "GET"), "/components/schemas/identityProviderCollection")
    r = http.post(f"{AUTH}/identityProviders", json={"type": "AZURE", "active": True, "saml": saml(account)},
                  headers=admin)
    assert r.status_code == 201
    check(response(r, "/identityProviders", "POST"), "/components/schemas/identityProvider")
    r = http.get(f"{AUTH}/identityProviders", headers=admin)
    listed = response(r, "/identityProviders", "GET")
    assert listed["count"] == 1
    one = "/identityProviders/{identityProviderId}"
    r = http.get(f"{AUTH}/identityProviders/{account}", headers=admin)
    check(response(r, one, "GET"), "/components/schemas/identityProvider")
    r = http.put(f"{AUTH}/identityProviders/{account}", json={"active": False, "saml": {"logoutUrl": None}},
                 headers=admin)
    check(response(r, one, "PUT"), "/components/schemas/identityProvider")
    r = http.delete(f"{AUTH}/identityProviders/{account}", headers=admin)
    assert r.status_code == 200
    response(r, one, "DELETE")


def test_identity_provider_errors(http, response):
    partner = partner_auth(http)
    account = new_account(http, partner)
    user = seed_client(http, account, "USER")
    posts = [
        (partner, {"accountId": account, "saml": saml(account, loginUrl="http://plain.example")}, 400),
        (partner, {"accountId": account, "saml": saml(account, certificates="not pem")}, 400),
        (partner, {"accountId": account, "type": "AZURE"}, 400),
        (partner, {"accountId": "no-such-account", "saml": saml(account)}, 404),
        (user, {"saml": saml(account)}, 403),
        (partner, {"accountId": account, "saml": saml(account)}, 201),
        (partner, {"accountId": account, "saml": saml(account)}, 409),
    ]
    for auth, body, status in posts:
        r = http.post(f"{AUTH}/identityProviders", json=body, headers=auth)
        assert r.status_code == status, r.text
        response(r, "/identityProviders", "POST")
    one = "/identityProviders/{identityProviderId}"
    other = new_account(http, partner, "No SSO")
    for method, path, body, auth, status in [
        ("GET", f"{AUTH}/identityProviders/{other}", None, partner, 404),
        ("GET", f"{AUTH}/identityProviders/{account}", None, user, 403),
        ("PUT", f"{AUTH}/identityProviders/{other}", {"active": False}, partner, 404),
        ("PUT", f"{AUTH}/identityProviders/{account}", {"saml": {"loginUrl": "ftp://x.example"}}, partner, 400),
        ("DELETE", f"{AUTH}/identityProviders/{account}", None, user, 403),
    ]:
        r = http.request(method, path, json=body, headers=auth)
        assert r.status_code == status, r.text
        response(r, one, method)
