"""Retry timing edge cases the emulator cannot produce on demand, through `httpx.MockTransport`
(the transport is the client's only seam for fakes): fractional and oversized Retry-After,
retried token grants."""

from __future__ import annotations

import time

import httpx

from cloudlink_provider.client import ClientConfig, CloudLink

BASE = "https://cloudlink.test"
TOKEN = {"token_type": "Bearer", "expires_in": 3600, "access_token": "a1", "refresh_token": "r1", "scope": "*"}


def scripted(*answers: httpx.Response):
    """A transport: /token always succeeds; other calls get `answers` in order (the last one repeats)."""
    seen: list[str] = []
    queue = list(answers)

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path.endswith("/authentication/2017-09-01/token") and request.method == "POST":
            return httpx.Response(201, json=TOKEN)
        return queue.pop(0) if len(queue) > 1 else queue[0]
    return httpx.MockTransport(handle), seen


def limited(retry_after: str) -> httpx.Response:
    return httpx.Response(429, json={"name": "TooManyRequests", "message": "slow down"},
                          headers={"Retry-After": retry_after})


def test_a_fractional_retry_after_is_honoured():
    transport, seen = scripted(limited("0.3"), httpx.Response(200, json={"principalId": "p", "accountId": "a",
                                                                         "role": "USER", "exp": "1"}))
    with CloudLink(ClientConfig(BASE, "id", "secret", max_wait_s=5), transport=transport) as c:
        started = time.monotonic()
        assert c.whoami().role == "USER"
        waited = time.monotonic() - started
    assert 0.3 <= waited < 2
    assert seen.count("GET /authentication/2017-09-01/token") == 2


def test_retry_after_is_capped_by_max_wait():
    transport, seen = scripted(limited("600"), httpx.Response(200, json={"principalId": "p", "accountId": "a",
                                                                         "role": "USER", "exp": "1"}))
    with CloudLink(ClientConfig(BASE, "id", "secret", max_wait_s=0.1), transport=transport) as c:
        started = time.monotonic()
        c.whoami()
        assert time.monotonic() - started < 2


def test_a_token_grant_is_retried_on_503_and_honours_retry_after():
    answers = [httpx.Response(503, json={"name": "ServiceUnavailable", "message": "busy"}),
               httpx.Response(429, json={"message": "slow"}, headers={"Retry-After": "0.2"}),
               httpx.Response(201, json=TOKEN)]
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.method)
        if request.method == "POST":
            return answers.pop(0)
        return httpx.Response(200, json={"principalId": "p", "accountId": "a", "role": "USER", "exp": "1"})

    with CloudLink(ClientConfig(BASE, "id", "secret", max_wait_s=0.3), transport=httpx.MockTransport(handle)) as c:
        started = time.monotonic()
        c.whoami()
        assert time.monotonic() - started >= 0.2
    assert seen == ["POST", "POST", "POST", "GET"]
