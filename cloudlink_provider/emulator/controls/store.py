"""Test and demo controls that live beside the real routes, under `/_emulator/` only.

The request journal (what the provider really sent), fault injection in the
spirit of LocalStack's chaos API, and the per-partner rate limiter's state.
These are in memory: they describe this server process, not CloudLink's data.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field

from ...wire import API_VERSION

# Calls that only mint a token: the one kind of non-GET call that changes nothing a customer has.
TOKEN_GRANTS = frozenset({f"/authentication/{API_VERSION}/token", f"/authentication/{API_VERSION}/assume-role/token"})


def is_write(method: str, path: str) -> bool:
    """Whether a call counts as a write: every call but a GET, except the token grants.

    The one definition behind the journal's `writes` count and each item's `write` flag, so a
    "no writes" check sees every service (SSO's `POST /identityProviders` lives in authentication).
    """
    return method != "GET" and path.rstrip("/") not in TOKEN_GRANTS


@dataclass
class Fault:
    """Answer a share of matching requests with `status`, after `delay_s`, or drop the connection.

    Which matching requests fault is decided by `seed` alone: the n-th request this fault matches
    faults or not the same way on every run with that seed, so a failing trial is replayed by
    adding the same fault (its `seed` is echoed back; one is drawn when none is given).
    """
    probability: float = 1.0
    status: int | None = 503
    delay_s: float = 0.0
    drop: bool = False
    method: str | None = None
    path_contains: str | None = None
    after: bool = False  # act on the request first, then fail the response (a "lost response")
    remaining: int | None = None  # stop after this many hits
    seed: int | None = None
    id: int = 0

    def matches(self, method: str, path: str) -> bool:
        return ((self.method is None or self.method.upper() == method)
                and (self.path_contains is None or self.path_contains in path)
                and (self.remaining is None or self.remaining > 0))


@dataclass
class Controls:
    journal: list[dict] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)
    _next_fault_id: int = 1
    _draws: dict[int, random.Random] = field(default_factory=dict)  # per fault: one draw per matching request

    def record(self, method: str, path: str, status: int, service: str, fault: int | None = None) -> None:
        """One journal item per request that arrived; `fault` is the id of the fault that answered it, if any."""
        with self.lock:
            self.journal.append({"method": method, "path": path, "status": status, "service": service,
                                 "write": is_write(method, path), "fault": fault, "at": time.time()})

    def journal_view(self) -> dict:
        with self.lock:
            items = list(self.journal)
        return {"count": len(items), "items": items,
                "byService": dict(Counter(i["service"] for i in items)),
                "writes": sum(1 for i in items if i["write"])}

    def clear_journal(self) -> None:
        with self.lock:
            self.journal.clear()

    def add_fault(self, fault: Fault) -> dict:
        with self.lock:
            fault.id = self._next_fault_id
            self._next_fault_id += 1
            if fault.seed is None:
                fault.seed = random.SystemRandom().randrange(2**32)
            self._draws[fault.id] = random.Random(fault.seed)
            self.faults.append(fault)
        return asdict(fault)

    def clear_faults(self) -> None:
        with self.lock:
            self.faults.clear()
            self._draws.clear()

    def pick_fault(self, method: str, path: str) -> Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.matches(method, path) and self._draws[fault.id].random() < fault.probability:
                    if fault.remaining is not None:
                        fault.remaining -= 1
                    return fault
        return None

    def take_token(self, key: str, rate: float, burst: int) -> float:
        """Token-bucket rate limit; returns 0 when allowed, else seconds until a token frees up."""
        now = time.monotonic()
        with self.lock:
            tokens, last = self._buckets.get(key, (float(burst), now))
            tokens = min(float(burst), tokens + (now - last) * rate)
            if tokens >= 1:
                self._buckets[key] = (tokens - 1, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1 - tokens) / rate
