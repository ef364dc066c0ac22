"""`Session.get_or_none` and `Session.delete`, the one home of "None on 404" and "False when already gone"
that every endpoint group's `get`/`delete` goes through."""

from __future__ import annotations

import httpx
import pytest

from cloudlink_provider.client import Account, ClientConfig, CloudLink, Conflict, Forbidden

BASE = "https://cloudlink.test"
ADMIN = "/admin/2017-09-01"
TOKEN = {"token_type": "Bearer", "expires_in": 3600, "access_token": "a1", "refresh_token": "r1"}


def error(status: int, name: str) -> httpx.Response:
    return httpx.Response(status, json={"name": name, "message": name})


@pytest.fixture
def c():
    answers = {"/accounts/here": httpx.Response(200, json={"accountId": "here", "name": "Here"}),
               "/accounts/gone": error(404, "NotFound"), "/accounts/secret": error(403, "Forbidden"),
               "/accounts/busy": error(409, "AccountNotEmpty")}

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/token"):
            return httpx.Response(201, json=TOKEN)
        answer = answers[request.url.path.removeprefix(ADMIN)]
        return httpx.Response(204) if request.method == "DELETE" and answer.status_code == 200 else answer

    with CloudLink(ClientConfig(BASE, "id", "secret", max_wait_s=0.01), transport=httpx.MockTransport(handle)) as c:
        yield c


def test_get_or_none(c):
    assert c.session.get_or_none("admin", "/accounts/here", Account) == Account(accountId="here", name="Here")
    assert c.session.get_or_none("admin", "/accounts/gone", Account) is None
    with pytest.raises(Forbidden):
        c.session.get_or_none("admin", "/accounts/secret", Account)
    assert c.accounts.get("here").name == "Here" and c.accounts.get("gone") is None


def test_delete(c):
    assert c.session.delete("admin", "/accounts/here") is True
    assert c.session.delete("admin", "/accounts/gone") is False
    with pytest.raises(Conflict):
        c.session.delete("admin", "/accounts/busy")
    assert c.accounts.delete("here") is True and c.accounts.delete("gone") is False
