"""The token manager against scripted answers (`httpx.MockTransport`): refresh tokens are single-use,
so a spent one (400 invalid_grant) or one whose refresh failed is never sent again."""

from __future__ import annotations

from urllib.parse import parse_qs

import httpx
from cloudlink_provider.client import ClientConfig, CloudLink

BASE = "https://cloudlink.test"
TOKEN_PATH = "/authentication/2017-09-01/token"
CLAIMS = {"principalId": "p", "accountId": "a", "role": "USER", "exp": 1}


def token(n: int) -> httpx.Response:
    return httpx.Response(201, json={"token_type": "Bearer", "expires_in": 3600, "access_token": f"a{n}",
                                     "refresh_token": f"r{n}", "scope": "*"})


def invalid_grant() -> httpx.Response:
    return httpx.Response(400, json={"error": "invalid_grant", "name": "InvalidGrant",
                                     "message": "refresh token already used"})


def scripted(grant_answers: list[httpx.Response]):
    """A transport answering token grants from `grant_answers` in order; every other call gets the claims.
    Returns it with the list of grants seen (grant_type, refresh_token) and the bearer tokens used."""
    grants: list[tuple[str, str | None]] = []
    bearers: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path == TOKEN_PATH:
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            grants.append((form["grant_type"], form.get("refresh_token")))
            return grant_answers.pop(0)
        bearers.append(request.headers["Authorization"].removeprefix("Bearer "))
        return httpx.Response(200, json=CLAIMS)
    return httpx.MockTransport(handle), grants, bearers


def client(transport, now: list[float]) -> CloudLink:
    c = CloudLink(ClientConfig(BASE, "id", "secret", max_attempts=2, max_wait_s=0.01), transport=transport)
    c.session.tokens.clock = lambda: now[0]
    return c


def test_a_spent_refresh_token_falls_back_to_client_credentials():
    transport, grants, bearers = scripted([token(1), invalid_grant(), token(2), token(3)])
    now = [0.0]
    with client(transport, now) as c:
        c.whoami()
        now[0] += 3600  # past the renewal point: refresh
        c.whoami()
        now[0] += 3600  # and again: the new token's own refresh token is used, not the spent one
        c.whoami()
        assert (c.session.tokens.issued, c.session.tokens.refreshed) == (3, 1)
    assert grants == [("client_credentials", None), ("refresh_token", "r1"), ("client_credentials", None),
                      ("refresh_token", "r2")]
    assert bearers == ["a1", "a2", "a3"]


def test_a_refresh_token_is_not_sent_again_after_its_grant_failed():
    """The server may have spent it on an attempt whose answer was lost: the next renewal starts afresh."""
    busy = httpx.Response(503, json={"name": "ServiceUnavailable", "message": "busy"})
    transport, grants, bearers = scripted([token(1), busy, busy, token(2)])
    now = [0.0]
    with client(transport, now) as c:
        c.whoami()
        now[0] += 3600
        c.whoami()  # the refresh grant is offered once; client_credentials is retried until it works
    assert grants == [("client_credentials", None), ("refresh_token", "r1"), ("client_credentials", None),
                      ("client_credentials", None)]
    assert bearers == ["a1", "a2"]
