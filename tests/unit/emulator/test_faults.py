"""Fault injection and the rate limiter, seen over raw HTTP: what the gate answers and what it records."""

from __future__ import annotations

import httpx
import pytest

from tests.unit.identity_world import emulator, fresh_world  # noqa: F401  (module-scoped server)
from tests.unit.identity_world import ADMIN, error, new_account, partner_auth


def fault(http: httpx.Client, **spec) -> dict:
    r = http.post("/_emulator/faults", json=spec)
    assert r.status_code == 201, r.text
    return r.json()


def journal(http: httpx.Client) -> list[dict]:
    return http.get("/_emulator/requests").json()["items"]


@pytest.mark.parametrize("status, name", [(500, "InternalServerError"), (503, "ServiceUnavailable"),
                                          (429, "TooManyRequests"), (418, "InjectedFault")])
def test_a_fault_answers_its_status(http, status, name):
    auth = partner_auth(http)
    fault(http, status=status, method="GET", path_contains="/accounts", remaining=1)
    r = http.get(f"{ADMIN}/accounts", headers=auth)
    error(r, status, name)
    if status in (429, 503):
        assert r.headers["retry-after"] == "1"
    assert http.get(f"{ADMIN}/accounts", headers=auth).status_code == 200  # remaining=1: spent
    assert [(j["method"], j["status"]) for j in journal(http) if j["path"].endswith("/accounts")] == \
        [("GET", status), ("GET", 200)]


def test_faults_match_method_and_path(http):
    auth = partner_auth(http)
    fault(http, status=500, method="POST", path_contains="/users")
    account = new_account(http, auth)  # a POST elsewhere: untouched
    assert http.get(f"{ADMIN}/accounts/{account}/users", headers=auth).status_code == 200  # a GET: untouched
    error(http.post(f"{ADMIN}/accounts/{account}/users", json={"email": "a@b.test"}, headers=auth),
          500, "InternalServerError")
    assert http.delete("/_emulator/faults").status_code == 204
    assert http.post(f"{ADMIN}/accounts/{account}/users", json={"email": "a@b.test"}, headers=auth).status_code == 201


def test_an_after_fault_acts_then_loses_the_response(http):
    auth = partner_auth(http)
    account = new_account(http, auth)
    fault(http, status=502, after=True, method="POST", path_contains="/users", remaining=1)
    error(http.post(f"{ADMIN}/accounts/{account}/users", json={"email": "lost@b.test"}, headers=auth),
          502, "BadGateway")
    users = http.get(f"{ADMIN}/accounts/{account}/users", headers=auth).json()["_embedded"]["items"]
    assert [u["email"] for u in users] == ["lost@b.test"]  # the server did act
    error(http.post(f"{ADMIN}/accounts/{account}/users", json={"email": "lost@b.test"}, headers=auth),
          409, "DuplicateValue")


def test_a_drop_fault_cuts_the_connection(http):
    auth = partner_auth(http)
    fault(http, drop=True, method="GET", path_contains="/accounts", remaining=1)
    with pytest.raises(httpx.TransportError):
        http.get(f"{ADMIN}/accounts", headers=auth)
    assert http.get(f"{ADMIN}/accounts", headers=auth).status_code == 200
    assert [j["status"] for j in journal(http) if j["path"].endswith("/accounts")] == [0, 200]  # 0: no answer


def test_the_rate_limiter_answers_429_with_retry_after(http):
    auth = partner_auth(http)
    assert http.put("/_emulator/settings", json={"rate_limit_per_s": 0.5, "rate_burst": 2}).status_code == 200
    statuses = [http.get(f"{ADMIN}/accounts", headers=auth) for _ in range(3)]
    assert [r.status_code for r in statuses[:2]] == [200, 200]
    limited = statuses[2]
    error(limited, 429, "TooManyRequests")
    assert int(limited.headers["retry-after"]) >= 1
    assert http.get("/_emulator/requests").status_code == 200  # controls are never limited


def test_settings_reject_values_that_would_break_the_server(http):
    for body in ({"rate_limit_per_s": 0}, {"rate_burst": "many"}, {"pbx_connect_s": -1}, {"pbx_connect_s": True},
                 {"base_url": 3}):
        r = http.put("/_emulator/settings", json=body)
        assert (r.status_code, r.json()["name"]) == (400, "ValidationError"), body
    assert http.put("/_emulator/settings", json={"pbx_connect_s": 0, "rate_limit_per_s": 2.5}).status_code == 200
    assert http.get("/admin/2017-09-01/accounts").status_code == 400  # the server still answers (no token)


def faulted_indexes(http: httpx.Client, auth: dict, seed: int | None, requests: int = 40) -> tuple[int, list[int]]:
    """Send `requests` GETs through a 30% fault with `seed`; which of them (by position) were faulted."""
    http.delete("/_emulator/faults")
    http.delete("/_emulator/requests")
    added = fault(http, status=500, probability=0.3, method="GET", path_contains="/accounts",
                  **({} if seed is None else {"seed": seed}))
    statuses = [http.get(f"{ADMIN}/accounts", headers=auth).status_code for _ in range(requests)]
    items = [j for j in journal(http) if j["path"].endswith("/accounts")]
    assert [j["status"] for j in items] == statuses
    assert all((j["fault"] == added["id"]) == (j["status"] == 500) for j in items)  # the journal names the fault
    return added["seed"], [i for i, s in enumerate(statuses) if s == 500]


def test_a_seeded_fault_faults_the_same_requests_on_replay(http):
    auth = partner_auth(http)
    seed, first = faulted_indexes(http, auth, seed=1234)
    assert seed == 1234
    assert 0 < len(first) < 40  # a share, not all or none
    assert faulted_indexes(http, auth, seed=1234)[1] == first  # replayed: the very same requests
    assert faulted_indexes(http, auth, seed=99)[1] != first  # another seed, other requests


def test_an_unseeded_fault_reports_the_seed_that_replays_it(http):
    auth = partner_auth(http)
    seed, first = faulted_indexes(http, auth, seed=None)
    assert isinstance(seed, int)
    assert faulted_indexes(http, auth, seed=seed)[1] == first
    listed = http.get("/_emulator/faults").json()
    assert [f["seed"] for f in listed] == [seed]


@pytest.mark.parametrize("seed", ["7", 1.5, True])
def test_a_seed_must_be_an_integer(http, seed):
    error(http.post("/_emulator/faults", json={"status": 500, "seed": seed}), 400, "ValidationError")
    assert http.get("/_emulator/faults").json() == []
