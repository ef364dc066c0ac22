"""The client's one retry policy (tenacity), shared by API calls and token grants.

429 is always retried (the server did nothing), waiting what `Retry-After` says
(capped at `max_wait_s`) or else an exponential backoff with jitter; 502/503/504
and transport failures only when the call is idempotent. At most `max_attempts`
tries, then the last error is raised as it is.
"""

from __future__ import annotations

from typing import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from .config import ClientConfig
from .errors import RateLimited, ServerError, TransportError


def retryable(idempotent: bool) -> Callable[[BaseException], bool]:
    """Whether a failure is worth another try: 429 always, 502/503/504 and transport failures if idempotent."""
    def check(exc: BaseException) -> bool:
        if isinstance(exc, RateLimited):
            return True
        if isinstance(exc, ServerError):
            return idempotent and exc.status in (502, 503, 504)
        return idempotent and isinstance(exc, TransportError)
    return check


def retrying(config: ClientConfig, idempotent: bool) -> Retrying:
    """A tenacity `Retrying` for one call: `retrying(config, idempotent)(attempt)`."""
    backoff = wait_exponential_jitter(multiplier=0.5, max=config.max_wait_s)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, config.max_wait_s)
        return backoff(state)

    return Retrying(retry=retry_if_exception(retryable(idempotent)), wait=wait,
                    stop=stop_after_attempt(config.max_attempts), reraise=True)
