"""The client's one retry policy (tenacity), shared by API calls and token grants.

Which failures are transient, per class of call:

| call                                   | 429 | 500/502/503/504 | transport failure |
|----------------------------------------|-----|-----------------|-------------------|
| idempotent (GET, HEAD, PUT, DELETE,    | yes | yes             | yes               |
| client_credentials grant, marked POST) |     |                 |                   |
| not idempotent (a create's POST,       | yes | no              | no                |
| the single-use refresh_token grant)    |     |                 |                   |

429 is always retried (the server did nothing), waiting what `Retry-After`
says (capped at `max_wait_s`); everything else waits an exponential backoff
with jitter (0.5 s doubling, capped at `max_wait_s`). A create is never
blindly re-sent: `create_or_adopt` looks the object up by its natural key
and sends it again (bounded) only when it is not there. At most `max_attempts` tries, then the last error is raised as it is.
Other 5xx (501, 505, ...) and 4xx say something about the request and are
never retried.
"""

from __future__ import annotations

from typing import Callable

from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

from .config import ClientConfig
from .errors import RateLimited, ServerError, TransportError

TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


def retryable(idempotent: bool) -> Callable[[BaseException], bool]:
    """Whether a failure is worth another try: 429 always; 500/502/503/504 and transport failures if idempotent."""
    def check(exc: BaseException) -> bool:
        if isinstance(exc, RateLimited):
            return True
        if isinstance(exc, ServerError):
            return idempotent and exc.status in TRANSIENT_STATUSES
        return idempotent and isinstance(exc, TransportError)
    return check


def retrying(config: ClientConfig, idempotent: bool) -> Retrying:
    """A tenacity `Retrying` for one call: `retrying(config, idempotent)(attempt)`."""
    backoff = wait_exponential_jitter(multiplier=0.5, max=config.max_wait_s, jitter=0.5)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RateLimited) and exc.retry_after is not None:
            return min(exc.retry_after, config.max_wait_s)
        return backoff(state)

    return Retrying(retry=retry_if_exception(retryable(idempotent)), wait=wait,
                    stop=stop_after_attempt(config.max_attempts), reraise=True)
