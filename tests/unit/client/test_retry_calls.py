"""Which calls are retried, how often, and when they give up: one test per class of call, through the
client's only seam for fakes (`httpx.MockTransport`).

GET, PUT and DELETE are retried on 500/502/503/504 and lost connections, with back-off, at most
`max_attempts` times; so is the client_credentials grant. A create's POST and the single-use
refresh_token grant are sent once (only a 429, where the server did nothing, is repeated).
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs

import httpx
import pytest

from cloudlink_provider.client import ClientConfig, CloudLink, RateLimited, ServerError, TransportError

BASE = "https://cloudlink.test"
TOKEN_PATH = "/authentication/2017-09-01/token"
ACCOUNT = {"accountId": "a1", "name": "Acme"}


def token(n: int = 1) -> httpx.Response:
    return httpx.Response(201, json={"token_type": "Bearer", "expires_in": 3600, "access_token": f"a{n}",
                                     "refresh_token": f"r{n}", "scope": "*"})


def error(status: int) -> httpx.Response:
    return httpx.Response(status, json={"name": f"E{status}", "message": f"status {status}"})


LOST = "lost"  # in a script: the connection drops before an answer arrives


class Script:
    """A transport answering token grants from `grants` and API calls from `calls`, in order (the last
    answer of each repeats). Records every request with the time it arrived."""

    def __init__(self, calls: list, grants: list | None = None):
        self.calls, self.grants = list(calls), list(grants or [token()])
        self.seen: list[tuple[str, str, float]] = []

    def _next(self, queue: list):
        return queue.pop(0) if len(queue) > 1 else queue[0]

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH and request.method == "POST":
            form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
            self.seen.append(("grant", form["grant_type"], time.monotonic()))
            answer = self._next(self.grants)
        else:
            self.seen.append((request.method, request.url.path, time.monotonic()))
            answer = self._next(self.calls)
        if answer is LOST:
            raise httpx.ReadError("connection reset", request=request)
        return answer

    def api_calls(self) -> list[str]:
        return [method for method, _, _ in self.seen if method != "grant"]

    def grant_types(self) -> list[str]:
        return [kind for method, kind, _ in self.seen if method == "grant"]

    def gaps(self) -> list[float]:
        times = [at for method, _, at in self.seen if method != "grant"]
        return [b - a for a, b in zip(times, times[1:])]


def client(script: Script, attempts: int = 4, max_wait_s: float = 0.05) -> CloudLink:
    return CloudLink(ClientConfig(BASE, "id", "secret", max_attempts=attempts, max_wait_s=max_wait_s),
                     transport=httpx.MockTransport(script))


@pytest.mark.parametrize("failure", [error(500), error(502), error(503), error(504), LOST])
def test_a_get_is_retried_on_every_transient_failure(failure):
    script = Script([failure, failure, httpx.Response(200, json=ACCOUNT)])
    with client(script) as c:
        assert c.accounts.get("a1").name == "Acme"
    assert script.api_calls() == ["GET"] * 3


def test_a_get_gives_up_after_max_attempts_with_the_last_error_and_backs_off_between():
    script = Script([error(500)])
    with client(script, attempts=3, max_wait_s=0.1) as c, pytest.raises(ServerError) as failed:
        c.accounts.get("a1")
    assert failed.value.status == 500 and failed.value.name == "E500"
    assert script.api_calls() == ["GET"] * 3
    assert all(gap >= 0.1 for gap in script.gaps()), script.gaps()  # waited (capped at max_wait_s) each time


def test_a_lost_connection_on_a_get_gives_up_as_a_transport_error():
    script = Script([LOST])
    with client(script, attempts=2) as c, pytest.raises(TransportError):
        c.accounts.get("a1")
    assert script.api_calls() == ["GET"] * 2


def test_a_put_is_retried_on_500_and_a_lost_connection():
    script = Script([error(500), LOST, httpx.Response(200, json={**ACCOUNT, "name": "Acme 2"})])
    with client(script) as c:
        assert c.accounts.update("a1", {"name": "Acme 2"}).name == "Acme 2"
    assert script.api_calls() == ["PUT"] * 3


def test_a_delete_is_retried_on_500_and_a_404_after_a_lost_answer_means_gone():
    script = Script([error(500), LOST, error(404)])
    with client(script) as c:
        assert c.accounts.delete("a1") is False  # the lost attempt deleted it: already gone
    assert script.api_calls() == ["DELETE"] * 3


def test_errors_that_say_something_about_the_request_are_not_retried():
    for status in (400, 403, 409, 501):
        script = Script([error(status)])
        with client(script) as c, pytest.raises(Exception):
            c.accounts.update("a1", {"name": "x"})
        assert script.api_calls() == ["PUT"], status


@pytest.mark.parametrize("failure", [error(500), error(503), LOST])
def test_a_create_is_sent_once_on_a_5xx_or_a_lost_connection(failure):
    script = Script([failure])
    with client(script) as c, pytest.raises((ServerError, TransportError)):
        c.accounts.create({"name": "Acme"})
    assert script.api_calls() == ["POST"]  # no blind re-send: create_or_adopt looks it up instead


def test_a_create_is_repeated_on_429_as_often_as_retry_after_says_then_gives_up():
    limited = httpx.Response(429, json={"name": "TooManyRequests", "message": "slow"}, headers={"Retry-After": "0.2"})
    script = Script([limited, httpx.Response(201, json=ACCOUNT)])
    with client(script, max_wait_s=5) as c:
        assert c.accounts.create({"name": "Acme"}).accountId == "a1"
    assert script.api_calls() == ["POST", "POST"]
    assert script.gaps()[0] >= 0.2  # Retry-After, not the (shorter) back-off
    script = Script([limited])
    with client(script, attempts=3, max_wait_s=0.01) as c, pytest.raises(RateLimited):
        c.accounts.create({"name": "Acme"})
    assert script.api_calls() == ["POST"] * 3


def test_a_post_the_server_recognises_when_repeated_is_retried_like_a_put():
    script = Script([error(500), httpx.Response(202)])
    with client(script) as c:
        c.users.send_welcome_email("a1", "u1")
    assert script.api_calls() == ["POST", "POST"]


@pytest.mark.parametrize("failure", [error(500), error(503), LOST])
def test_the_client_credentials_grant_is_retried(failure):
    script = Script([httpx.Response(200, json=ACCOUNT)], grants=[failure, failure, token()])
    with client(script) as c:
        c.accounts.get("a1")
    assert script.grant_types() == ["client_credentials"] * 3
    assert script.api_calls() == ["GET"]


def test_a_grant_that_keeps_failing_gives_up_once_not_once_per_call_attempt():
    script = Script([httpx.Response(200, json=ACCOUNT)], grants=[error(500)])
    with client(script, attempts=3) as c, pytest.raises(ServerError):
        c.accounts.get("a1")
    assert script.grant_types() == ["client_credentials"] * 3  # not 3 x 3
    assert script.api_calls() == []


def test_the_refresh_grant_is_offered_once_then_client_credentials_take_over():
    script = Script([httpx.Response(200, json=ACCOUNT)], grants=[token(1), error(500), token(2)])
    now = [0.0]
    with client(script) as c:
        c.session.tokens.clock = lambda: now[0]
        c.accounts.get("a1")
        now[0] += 3600  # past the renewal point
        c.accounts.get("a1")
    assert script.grant_types() == ["client_credentials", "refresh_token", "client_credentials"]
