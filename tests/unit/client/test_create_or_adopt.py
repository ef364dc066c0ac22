"""`create_or_adopt`: a create that failed is adopted when the object turns out to exist, including on
409 Conflict (the natural key is taken: by someone else meanwhile, or by an earlier attempt);
`IdentityApi.put` builds on it."""

from __future__ import annotations

import json

import httpx
import pytest

from cloudlink_provider.client import (ClientConfig, CloudLink, Conflict, Invalid, ServerError, TransportError,
                                       create_or_adopt)


def scripted_find(*results):
    found = list(results)
    calls = []

    def find():
        calls.append("find")
        return found.pop(0)
    return find, calls


def failing(exc: Exception):
    def create():
        raise exc
    return create


@pytest.mark.parametrize("exc", [Conflict(409, "AlreadyExists", "taken"), ServerError(503, "Busy", "busy"),
                                 TransportError("reset")])
def test_a_failed_create_of_an_object_that_exists_adopts_it(exc):
    find, calls = scripted_find(None, "it")
    assert create_or_adopt(find, failing(exc)) == ("it", True)
    assert calls == ["find", "find"]


def test_a_conflict_with_nothing_to_find_is_raised():
    find, _ = scripted_find(None, None)
    with pytest.raises(Conflict, match="GatewayAlreadyAssociated"):
        create_or_adopt(find, failing(Conflict(409, "GatewayAlreadyAssociated", "another account has it")))


def test_other_errors_are_raised_without_looking_again():
    find, calls = scripted_find(None)
    with pytest.raises(Invalid):
        create_or_adopt(find, failing(Invalid(400, "BadRequest", "no")))
    assert calls == ["find"]


def test_create_and_existing():
    assert create_or_adopt(scripted_find(None)[0], lambda: "new") == ("new", False)
    assert create_or_adopt(scripted_find("old")[0], lambda: "new") == ("old", True)


SAML = {"issuerId": "https://sts.windows.net/t/", "serviceProviderIssuerId": "sp", "serviceProviderReplyUrl": "r",
        "loginUrl": "https://login.microsoftonline.com/t/saml2", "certificates": []}


def test_identity_put_updates_a_provider_created_meanwhile():
    """GET 404, POST 409 (someone else created it), GET finds it, PUT makes it exactly ours."""
    seen: list[str] = []
    provider = {"identityProviderId": "acc-1", "accountId": "acc-1", "type": "AZURE", "active": True, "saml": SAML}
    answers = [httpx.Response(404, json={"name": "NotFound", "message": "none"}),
               httpx.Response(409, json={"name": "IdentityProviderExists", "message": "exists"}),
               httpx.Response(200, json={**provider, "active": False}),
               httpx.Response(200, json=provider)]

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token") and request.method == "POST":
            return httpx.Response(201, json={"access_token": "a1", "expires_in": 3600})
        seen.append(f"{request.method} {request.url.path.removeprefix('/authentication/2017-09-01')}")
        if request.method == "PUT":
            assert json.loads(request.content) == {"type": "AZURE", "active": True, "saml": SAML}
        return answers.pop(0)

    with CloudLink(ClientConfig("https://cloudlink.test", "id", "secret"), transport=httpx.MockTransport(handle)) as c:
        assert c.identity.put("acc-1", SAML).active is True
    assert seen == ["GET /identityProviders/acc-1", "POST /identityProviders", "GET /identityProviders/acc-1",
                    "PUT /identityProviders/acc-1"]
