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


def scripted_create(*outcomes):
    """A create that raises or returns each outcome in turn, and records every send."""
    left, sent = list(outcomes), []

    def create():
        sent.append("create")
        outcome = left.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome
    return create, sent


@pytest.fixture
def no_wait(monkeypatch):
    monkeypatch.setattr("cloudlink_provider.client._session.RESEND_WAIT_S", 0)


@pytest.mark.parametrize("exc", [ServerError(503, "Busy", "busy"), ServerError(504, "GatewayTimeout", "slow"),
                                 TransportError("timed out")])
def test_a_failed_create_that_made_nothing_is_sent_again_within_the_same_call(exc, no_wait):
    """Issue 20: resolved in the same run: looked up, not there, so sent again (one object, no duplicate)."""
    find, looks = scripted_find(None, None)
    create, sent = scripted_create(exc, "new")
    assert create_or_adopt(find, create) == ("new", False)
    assert (looks, sent) == (["find", "find"], ["create", "create"])


def test_re_sending_is_bounded_and_every_send_is_looked_up_first(no_wait):
    find, looks = scripted_find(None, None, None, None)
    create, sent = scripted_create(*[ServerError(503, "Busy", "busy")] * 3)
    with pytest.raises(ServerError):
        create_or_adopt(find, create)
    assert sent == ["create"] * 3 and looks == ["find"] * 4  # before the first send, and after each


def test_a_lost_answer_found_after_a_re_send_is_adopted(no_wait):
    find, _ = scripted_find(None, None, "it")
    create, sent = scripted_create(TransportError("reset"), TransportError("lost answer"))
    assert create_or_adopt(find, create) == ("it", True) and sent == ["create", "create"]


def test_a_server_error_that_says_the_request_is_wrong_is_not_re_sent(no_wait):
    find, looks = scripted_find(None)
    create, sent = scripted_create(ServerError(501, "NotImplemented", "no"))
    with pytest.raises(ServerError):
        create_or_adopt(find, create)
    assert (looks, sent) == (["find"], ["create"])


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
