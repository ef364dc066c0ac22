"""The client's session against a running emulator over a socket: token reuse and refresh,
retries where safe (and only there), injected faults, error classes, thread safety."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from cloudlink_provider.client import (ClientConfig, CloudLink, Conflict, Forbidden, Invalid, NotFound, RateLimited,
                                       ServerError, TransportError, Unauthorized, create_or_adopt)
from cloudlink_provider.emulator.store import DEMO_PARTNER
from tests.unit.identity_world import emulator, fresh_world  # noqa: F401  (module-scoped server)
from tests.unit.identity_world import AUTH

TOKEN_PATH = f"{AUTH}/token"


def make(emulator, client_id=DEMO_PARTNER["client_id"], client_secret=DEMO_PARTNER["client_secret"],
         **options) -> CloudLink:
    return CloudLink(ClientConfig(emulator.url, client_id, client_secret, **options))


@pytest.fixture
def cl(emulator):
    with make(emulator, max_wait_s=0.05) as c:
        yield c


def calls(http, path_end: str, method: str | None = None) -> list[tuple[str, int]]:
    items = http.get("/_emulator/requests").json()["items"]
    return [(i["method"], i["status"]) for i in items
            if i["path"].endswith(path_end) and (method is None or i["method"] == method)]


def fault(http, **spec) -> None:
    assert http.post("/_emulator/faults", json=spec).status_code == 201


def test_one_token_serves_many_calls(http, cl):
    account = cl.accounts.create({"name": "Reuse"}).accountId
    for i in range(5):
        cl.users.create(account, {"email": f"u{i}@reuse.test"})
        list(cl.accounts.list())
        cl.whoami()
    assert calls(http, TOKEN_PATH, "POST") == [("POST", 201)]
    assert cl.session.tokens.issued == 1
    services = {i["service"] for i in http.get("/_emulator/requests").json()["items"]}
    assert services >= {"authentication", "admin"}


def test_the_token_is_refreshed_before_it_expires(http, cl):
    assert http.put("/_emulator/settings", json={"access_ttl_s": 120}).status_code == 200
    now = [1000.0]
    cl.session.tokens.clock = lambda: now[0]
    first = cl.session.tokens.bearer()
    now[0] += 59  # half the lifetime (the margin for short lifetimes) not yet reached
    cl.whoami()
    assert cl.session.tokens.bearer() == first and cl.session.tokens.issued == 1
    now[0] += 2  # 61 s of a 120 s token: renew now, while the old one is still good
    claims = cl.whoami()
    assert cl.session.tokens.bearer() != first
    assert (cl.session.tokens.issued, cl.session.tokens.refreshed) == (2, 1)
    assert claims.role == "PARTNER_ADMIN"
    assert calls(http, TOKEN_PATH, "POST") == [("POST", 201), ("POST", 201)]
    assert http.get(TOKEN_PATH, headers={"Authorization": f"Bearer {first}"}).status_code == 200  # not expired


def test_an_expired_refresh_token_falls_back_to_client_credentials(http, cl):
    assert http.put("/_emulator/settings", json={"refresh_ttl_s": -1}).status_code == 200
    now = [0.0]
    cl.session.tokens.clock = lambda: now[0]
    cl.whoami()
    now[0] += 3600
    cl.whoami()
    assert calls(http, TOKEN_PATH, "POST") == [("POST", 201), ("POST", 401), ("POST", 201)]
    assert cl.session.tokens.refreshed == 0


def test_429_is_retried_after_retry_after_even_for_post(emulator, http):
    fault(http, status=429, method="POST", path_contains="/accounts", remaining=1)
    with make(emulator, max_wait_s=5) as c:
        started = time.monotonic()
        account = c.accounts.create({"name": "Patient"})
        waited = time.monotonic() - started
    assert account.name == "Patient" and waited >= 0.9  # the fault says Retry-After: 1
    assert calls(http, "/admin/2017-09-01/accounts", "POST") == [("POST", 429), ("POST", 201)]


def test_503_is_retried_for_get(http, cl):
    fault(http, status=503, method="GET", path_contains="/accounts", remaining=2)
    assert list(cl.accounts.list()) == []
    assert calls(http, "/admin/2017-09-01/accounts", "GET") == [("GET", 503), ("GET", 503), ("GET", 200)]


def test_503_is_never_re_posted(http, cl):
    fault(http, status=503, method="POST", path_contains="/accounts", remaining=1)
    with pytest.raises(ServerError) as caught:
        cl.accounts.create({"name": "Once"})
    assert caught.value.status == 503 and caught.value.name == "ServiceUnavailable"
    assert calls(http, "/admin/2017-09-01/accounts", "POST") == [("POST", 503)]


def test_a_lost_create_response_is_adopted_not_duplicated(http, cl):
    fault(http, status=503, after=True, method="POST", path_contains="/accounts", remaining=1)
    account, adopted = create_or_adopt(lambda: cl.accounts.find_by_name("Lost"),
                                       lambda: cl.accounts.create({"name": "Lost"}))
    assert adopted and account.name == "Lost"
    assert [a.name for a in cl.accounts.list()] == ["Lost"]
    assert calls(http, "/admin/2017-09-01/accounts", "POST") == [("POST", 503)]


def test_a_dropped_connection_is_a_transport_error_and_post_is_not_resent(http, cl):
    fault(http, drop=True, method="POST", path_contains="/accounts", remaining=1)
    with pytest.raises(TransportError):
        cl.accounts.create({"name": "Dropped"})
    assert len(calls(http, "/admin/2017-09-01/accounts", "POST")) == 1


def test_a_dropped_get_is_retried(http, cl):
    fault(http, drop=True, method="GET", path_contains="/accounts", remaining=1)
    assert list(cl.accounts.list()) == []
    assert len(calls(http, "/admin/2017-09-01/accounts", "GET")) == 2


def test_drops_on_every_attempt_end_in_a_transport_error(emulator, http):
    fault(http, drop=True, method="GET", path_contains="/accounts")
    with make(emulator, max_wait_s=0.01, max_attempts=3) as c, pytest.raises(TransportError):
        list(c.accounts.list())
    assert len(calls(http, "/admin/2017-09-01/accounts", "GET")) == 3


def _check(error, cls, status: int, name: str) -> None:
    assert isinstance(error, cls) and (error.status, error.name) == (status, name), error
    uuid.UUID(error.correlation_id)  # CloudLink's x-mitel-correlation-id, kept for the logs
    assert error.correlation_id in str(error)


def test_errors_map_to_classes_by_status_keeping_name_and_correlation_id(emulator, http, cl):
    account = cl.accounts.create({"name": "Errors"}).accountId
    cl.users.create(account, {"email": "dup@x.test", "extension": "100"})
    with pytest.raises(Invalid) as e400:
        cl.users.create(account, {"email": "not an email"})
    _check(e400.value, Invalid, 400, "ValidationError")
    with pytest.raises(Conflict) as e409:
        cl.users.create(account, {"email": "DUP@x.test", "extension": "100"})
    _check(e409.value, Conflict, 409, "DuplicateValue")
    assert e409.value.labels == ["email", "extension"]
    with pytest.raises(NotFound) as e404:
        cl.accounts.update(str(uuid.uuid4()), {"name": "x"})
    _check(e404.value, NotFound, 404, "NotFound")
    with make(emulator, client_secret="wrong") as bad, pytest.raises(Unauthorized) as e401:
        bad.whoami()
    _check(e401.value, Unauthorized, 401, "ClientSecretMismatch")
    seeded = http.post("/_emulator/seed/client", json={"accountId": account, "role": "USER"}).json()
    with make(emulator, seeded["clientId"], seeded["clientSecret"]) as user, pytest.raises(Forbidden) as e403:
        user.users.create(account, {"email": "x@x.test"})
    _check(e403.value, Forbidden, 403, "InsufficientPermissions")
    fault(http, status=500, method="GET", path_contains="/accounts", remaining=2)
    with make(emulator, max_wait_s=0.01, max_attempts=2) as c, pytest.raises(ServerError) as e500:
        list(c.accounts.list())
    _check(e500.value, ServerError, 500, "InternalServerError")
    assert calls(http, "/admin/2017-09-01/accounts", "GET") == [("GET", 500)] * 2  # retried, then given up
    fault(http, status=429, method="GET", path_contains="/accounts")
    with make(emulator, max_wait_s=0.01, max_attempts=2) as c, pytest.raises(RateLimited) as e429:
        list(c.accounts.list())
    _check(e429.value, RateLimited, 429, "TooManyRequests")
    assert e429.value.retry_after == 1.0


def test_the_rate_limiter_is_waited_out(emulator, http):
    assert http.put("/_emulator/settings", json={"rate_limit_per_s": 2, "rate_burst": 2}).status_code == 200
    with make(emulator, max_wait_s=5) as c:
        for _ in range(3):
            c.whoami()
    statuses = [s for _, s in calls(http, TOKEN_PATH, "GET")]
    assert statuses[:3] == [200, 200, 429] and statuses.count(200) == 3 and statuses[-1] == 200


def test_threads_share_one_client_safely(http, cl):
    account = cl.accounts.create({"name": "Threads"}).accountId

    def work(n: int) -> list[str]:
        made = [cl.users.create(account, {"email": f"t{n}-{i}@threads.test"}).userId for i in range(4)]
        assert cl.whoami().accountId
        return made

    with ThreadPoolExecutor(8) as pool:
        ids = [u for batch in pool.map(work, range(8)) for u in batch]
    assert len(set(ids)) == 32
    assert len(list(cl.users.list(account))) == 32
    assert calls(http, TOKEN_PATH, "POST") == [("POST", 201)]


def test_a_token_the_server_forgot_is_replaced_once(http, cl):
    cl.whoami()
    assert http.post("/_emulator/reset").status_code == 204  # every token is gone (and the journal)
    assert cl.whoami().role == "PARTNER_ADMIN"
    assert calls(http, TOKEN_PATH) == [("GET", 401), ("POST", 401), ("POST", 201), ("GET", 200)]
    assert cl.session.tokens.issued == 2
