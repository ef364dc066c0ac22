"""Answers the client cannot read become `UnexpectedResponse` (a `CloudLinkError`), naming the call but
never the body; ids are quoted into paths so one cannot reach another route. Scripted with
`httpx.MockTransport`: the emulator never answers badly on purpose, and it decodes %2F before routing."""

from __future__ import annotations

import httpx
import pytest
from pydantic import ValidationError

import cloudlink_provider.client as cl
from cloudlink_provider.client import ClientConfig, CloudLink, CloudLinkError, UnexpectedResponse

BASE = "https://cloudlink.test"
ADMIN = "/admin/2017-09-01"
TOKEN = {"token_type": "Bearer", "expires_in": 3600, "access_token": "a1", "refresh_token": "r1"}
SECRET = "s3cr3t-scim-token"


def answering(routes: dict[str, httpx.Response]):
    """A transport: token grants succeed; other calls are answered by their raw (still-quoted) path, else 404."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/authentication/2017-09-01/token") and request.method == "POST":
            return httpx.Response(201, json=TOKEN)
        path = request.url.raw_path.decode().split("?")[0]
        seen.append(f"{request.method} {path}")
        return routes.get(path) or httpx.Response(404, json={"name": "NotFound", "message": "no such thing"})
    return httpx.MockTransport(handle), seen


def client(transport) -> CloudLink:
    return CloudLink(ClientConfig(BASE, "id", "secret", max_wait_s=0.01), transport=transport)


def test_the_error_tree_is_exported():
    for name in ("CloudLinkError", "TransportError", "UnexpectedResponse", "ApiError", "Invalid", "Unauthorized",
                 "Forbidden", "NotFound", "Conflict", "RateLimited", "ServerError"):
        assert name in cl.__all__ and hasattr(cl, name)
    assert issubclass(UnexpectedResponse, CloudLinkError) and not issubclass(UnexpectedResponse, cl.ApiError)


def test_a_2xx_that_is_not_json():
    transport, _ = answering({f"{ADMIN}/accounts/acc-1": httpx.Response(200, text=f"<html>{SECRET}</html>",
                                                                         headers={"content-type": "text/html"})})
    with client(transport) as c, pytest.raises(UnexpectedResponse) as caught:
        c.accounts.get("acc-1")
    message = str(caught.value)
    assert message.startswith(f"GET {BASE}{ADMIN}/accounts/acc-1: ") and "not JSON" in message
    assert SECRET not in message and isinstance(caught.value.__cause__, ValueError)
    assert (caught.value.method, caught.value.url) == ("GET", f"{BASE}{ADMIN}/accounts/acc-1")


def test_a_2xx_of_the_wrong_shape_names_the_fields_not_their_values():
    transport, _ = answering({f"{ADMIN}/accounts": httpx.Response(201, json={"name": SECRET, "token": SECRET})})
    with client(transport) as c, pytest.raises(UnexpectedResponse) as caught:
        c.accounts.create({"name": "Acme"})
    message = str(caught.value)
    assert message.startswith(f"POST {BASE}{ADMIN}/accounts: not a valid Account") and "accountId" in message
    assert isinstance(caught.value.__cause__, ValidationError)
    assert SECRET not in message and SECRET not in str(caught.value.__cause__)


def test_a_list_that_is_not_hal_and_a_bad_item():
    transport, _ = answering({f"{ADMIN}/accounts": httpx.Response(200, json=["not", "hal"])})
    with client(transport) as c, pytest.raises(UnexpectedResponse, match="not a HAL list"):
        list(c.accounts.list())
    transport, _ = answering({f"{ADMIN}/accounts": httpx.Response(200, json={"_embedded": {"items": [
        {"accountId": "a", "name": "ok"}, {"accountId": "b"}]}})})
    with client(transport) as c:
        accounts = c.accounts.list()
        assert next(accounts).name == "ok"
        with pytest.raises(UnexpectedResponse, match="not a valid Account"):
            next(accounts)


def test_a_token_answer_without_a_token():
    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json={"refresh_token": SECRET})
    with client(httpx.MockTransport(handle)) as c, pytest.raises(UnexpectedResponse) as caught:
        c.whoami()
    assert "access_token" in str(caught.value) and SECRET not in str(caught.value)


@pytest.mark.parametrize("call, route", [
    (lambda c: c.accounts.get("acc-1/users"), f"{ADMIN}/accounts/acc-1/users"),
    (lambda c: c.users.get("acc-1", "../../accounts/acc-2"), f"{ADMIN}/accounts/acc-2"),
    (lambda c: c.scim.get("acc-1/users"), "/scim/2017-09-01/accounts/acc-1/users/azure-sync"),
    (lambda c: c.identity.get("acc-1/x"), "/authentication/2017-09-01/identityProviders/acc-1/x"),
])
def test_an_id_containing_a_slash_does_not_reach_another_route(call, route):
    hal = {"_embedded": {"items": []}}
    transport, seen = answering({route: httpx.Response(200, json=hal)})
    with client(transport) as c:
        assert call(c) is None  # 404 on the quoted path, not the other route's answer
    assert len(seen) == 1 and seen[0] != f"GET {route}" and "%2F" in seen[0]


def test_an_account_id_with_a_slash_is_deleted_at_its_own_path():
    transport, seen = answering({f"{ADMIN}/accounts/acc-1%2Fusers": httpx.Response(204)})
    with client(transport) as c:
        assert c.accounts.delete("acc-1/users") is True
        assert c.users.delete("acc-1", "u/1") is False
    assert seen == [f"DELETE {ADMIN}/accounts/acc-1%2Fusers", f"DELETE {ADMIN}/accounts/acc-1/users/u%2F1"]
