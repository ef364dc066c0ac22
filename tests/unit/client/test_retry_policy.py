"""`client/_retry.py`: which failures are retried, and how often (the session and token grants share it)."""

from __future__ import annotations

import pytest

from cloudlink_provider.client import ClientConfig, Conflict, Invalid, RateLimited, ServerError, TransportError
from cloudlink_provider.client._retry import retryable, retrying


def test_what_is_retried():
    limited, busy, broken = RateLimited(429, "n", "m"), ServerError(503, "n", "m"), ServerError(500, "n", "m")
    lost, unsupported = TransportError("reset"), ServerError(501, "n", "m")
    assert [retryable(True)(e) for e in (limited, busy, broken, lost, unsupported, Invalid(400, "n", "m"))] == \
        [True, True, True, True, False, False]
    assert [retryable(False)(e) for e in (limited, busy, broken, lost, Conflict(409, "n", "m"))] == \
        [True, False, False, False, False]


def test_attempts_are_bounded_and_the_last_error_is_raised():
    config = ClientConfig("https://cloudlink.test", "id", "secret", max_attempts=3, max_wait_s=0)
    tries = []

    def attempt():
        tries.append(1)
        raise RateLimited(429, "TooManyRequests", f"try {len(tries)}", retry_after=0)

    with pytest.raises(RateLimited, match="try 3"):
        retrying(config, idempotent=False)(attempt)
    assert len(tries) == 3
