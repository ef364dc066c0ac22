"""Robustness of the emulator: state survives a restart on the same file, concurrent writes never
corrupt it, and it serves its own OpenAPI document."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from cloudlink_provider.emulator.server import EmulatorServer
from tests.unit.identity_world import ADMIN, AUTH, SCIM, bearer_of, new_account, partner_auth, saml

THREADS = 8


def test_state_survives_a_restart_on_the_same_file(tmp_path):
    db = str(tmp_path / "cloudlink.db")
    with EmulatorServer(db) as first, httpx.Client(base_url=first.url) as http:
        auth = partner_auth(http)
        account = new_account(http, auth, "Persistent")
        user = http.post(f"{ADMIN}/accounts/{account}/users", json={"email": "p@acme.test"}, headers=auth).json()
        assert http.post(f"{AUTH}/identityProviders", json={"accountId": account, "saml": saml(account)},
                         headers=auth).status_code == 201
        sync = http.post(f"{SCIM}/accounts/{account}/azure-sync", headers=auth).json()
    with EmulatorServer(db) as second, httpx.Client(base_url=second.url) as http:
        assert http.get(f"{ADMIN}/accounts/{account}", headers=auth).json()["name"] == "Persistent"  # old token
        assert http.get(f"{ADMIN}/accounts/{account}/users/{user['userId']}", headers=auth).json()["email"] == \
            "p@acme.test"
        assert http.get(f"{AUTH}/identityProviders/{account}", headers=auth).status_code == 200
        moved = http.get(f"{SCIM}/accounts/{account}/azure-sync", headers=auth).json()["scimBaseUrl"]
        assert moved.startswith(second.url)  # built from the new server's address
        scim = httpx.get(f"{moved}/Users", headers=bearer_of(sync["token"]))  # the token still works
        assert scim.status_code == 200 and scim.json()["totalResults"] == 1
        numbers = [a["accountNumber"] for a in http.get(f"{ADMIN}/accounts", headers=auth).json()["_embedded"]["items"]]
        fresh = new_account(http, auth, "After restart")
        assert http.get(f"{ADMIN}/accounts/{fresh}", headers=auth).json()["accountNumber"] not in numbers


def test_concurrent_writes_keep_counts_and_uniqueness(emulator, http):
    auth = partner_auth(http)
    account = new_account(http, auth, "Busy")
    emails = [f"user{i}@busy.test" for i in range(12)]

    def worker(n: int) -> list[int]:
        statuses = []
        with httpx.Client(base_url=emulator.url, timeout=30) as h:
            statuses.append(h.post(f"{ADMIN}/accounts", json={"name": f"Concurrent {n}"}, headers=auth).status_code)
            for i, email in enumerate(emails):  # every thread tries every email: each must exist exactly once
                r = h.post(f"{ADMIN}/accounts/{account}/users", json={"email": email, "extension": f"{n}{i:02d}"},
                           headers=auth)
                statuses.append(r.status_code)
        return statuses

    with ThreadPoolExecutor(THREADS) as pool:
        results = [s for batch in pool.map(worker, range(THREADS)) for s in batch]
    assert set(results) <= {201, 409}
    users = http.get(f"{ADMIN}/accounts/{account}/users", params={"$top": 1000}, headers=auth).json()
    listed = [u["email"] for u in users["_embedded"]["items"]]
    assert sorted(listed) == sorted(emails)  # each email once, none lost
    assert len({u["extension"] for u in users["_embedded"]["items"]}) == len(listed)
    accounts = http.get(f"{ADMIN}/accounts", params={"$top": 1000}, headers=auth).json()["_embedded"]["items"]
    concurrent = [a for a in accounts if a["name"].startswith("Concurrent")]
    assert len(concurrent) == THREADS
    assert len({a["accountNumber"] for a in accounts}) == len(accounts)
    assert results.count(201) == THREADS + len(emails)


def test_the_emulator_serves_its_openapi_document(http):
    r = http.get("/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    for path in ["/authentication/2017-09-01/token", "/authentication/2017-09-01/assume-role/token",
                 "/authentication/2017-09-01/identityProviders",
                 "/authentication/2017-09-01/identityProviders/{identity_provider_id}",
                 "/admin/2017-09-01/accounts", "/admin/2017-09-01/accounts/{account_id}/users/{user_id}",
                 "/admin/2017-09-01/accounts/{account_id}/users/{user_id}/welcome-email",
                 "/scim/2017-09-01/accounts/{account_id}/azure-sync",
                 "/scim/2017-09-01/accounts/{account_id}/azure-sync/token",
                 "/scim/2017-09-01/{account_id}/v2/Users", "/scim/2017-09-01/{account_id}/v2/Users/{user_id}"]:
        assert path in paths, path
    assert {p.split("/")[1] for p in paths} >= {"authentication", "admin", "scim", "_emulator"}
    assert "patch" in paths["/scim/2017-09-01/{account_id}/v2/Users/{user_id}"]
