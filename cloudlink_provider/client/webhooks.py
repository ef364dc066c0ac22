"""Posting one JSON message to a chat or webhook URL (Teams, Slack, a partner's own receiver): bounded, never raising.

The fleet's notifications (fleet/notify/) build the payloads; this module only
delivers them, because the client is the floor that speaks HTTP (the import
contract keeps httpx out of the fleet). A delivery:

- waits at most `timeout_s` per attempt (connect, send, answer) and makes at most
  `attempts` attempts, so a receiver that never answers costs a bounded time;
- retries (tenacity, exponential backoff with jitter, `Retry-After` honoured up to
  `max_wait_s`) only on the answers that ask for a retry (429, 502/503/504) and on a
  connection that could not be opened. A 500 or an answer that timed out may have
  posted the message already, and chat webhooks do not recognise a repeat, so
  they are reported, not re-sent;
- returns a `Delivery` (delivered, error, attempts) and never raises: a failed
  notification must not change what the command that sends it reports or exits with.

The URL is a secret (whoever has it can post to the channel): no error text, log
line or exception here contains it; errors name the HTTP status or the failure's kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

RETRIED_STATUSES = frozenset({429, 502, 503, 504})


@dataclass(frozen=True)
class Delivery:
    """What became of one post: `delivered`, else `error` (one line, never the URL)."""
    delivered: bool
    error: str | None = None
    attempts: int = 1
    status: int | None = None


class _Failed(Exception):
    """One attempt that failed: `text` is what the report says; `retry` whether another attempt may help."""

    def __init__(self, text: str, retry: bool, status: int | None = None, retry_after: float | None = None):
        super().__init__(text)
        self.text, self.retry, self.status, self.retry_after = text, retry, status, retry_after


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return None


def _said(response: httpx.Response, url: str) -> str:
    """What a receiver said about a refused message (Slack: `invalid_blocks`), one short line, URL masked."""
    try:
        text = " ".join(response.text.split())
    except (UnicodeDecodeError, httpx.HTTPError):
        return ""
    target = response.request.url
    for secret in (url, str(target), target.raw_path.decode(errors="replace"), target.query.decode(errors="replace")):
        if len(secret) > 1:
            text = text.replace(secret, "[url]")
    return f": {text[:120]}" if text else ""


def _attempt(client: httpx.Client, url: str, payload: Any, timeout_s: float) -> int:
    try:
        response = client.post(url, json=payload)
    except httpx.ConnectTimeout:
        raise _Failed(f"could not connect within {timeout_s:g}s", retry=True) from None
    except httpx.ConnectError:
        raise _Failed("could not connect (refused or unreachable)", retry=True) from None
    except httpx.TimeoutException:
        raise _Failed(f"no answer within {timeout_s:g}s", retry=False) from None
    except httpx.HTTPError as e:  # the message of an httpx error may carry the URL: only its kind is said
        raise _Failed(f"transport failure ({type(e).__name__})", retry=False) from None
    if response.status_code >= 300:
        reason = response.reason_phrase or ""
        said = _said(response, url) if 400 <= response.status_code < 500 else ""
        raise _Failed(f"HTTP {response.status_code}{' ' + reason if reason else ''}{said}",
                      retry=response.status_code in RETRIED_STATUSES, status=response.status_code,
                      retry_after=_retry_after(response) if response.status_code == 429 else None)
    return response.status_code


def post_webhook(url: str, payload: Any, timeout_s: float = 10.0, attempts: int = 3, max_wait_s: float = 10.0,
                 transport: httpx.BaseTransport | None = None) -> Delivery:
    """POST `payload` as JSON to `url`; a `Delivery`, never an exception (see the module docstring)."""
    backoff = wait_exponential_jitter(multiplier=0.5, max=max_wait_s, jitter=0.5)

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _Failed) and exc.retry_after is not None:
            return min(exc.retry_after, max_wait_s)
        return backoff(state)

    retrying = Retrying(retry=retry_if_exception(lambda e: isinstance(e, _Failed) and e.retry), wait=wait,
                        stop=stop_after_attempt(max(1, attempts)), reraise=True)
    tries = 0
    try:
        with httpx.Client(timeout=timeout_s, transport=transport, follow_redirects=False,
                          headers={"user-agent": "cloudlink-fleet"}) as client:
            for attempt in retrying:
                with attempt:
                    tries += 1
                    status = _attempt(client, url, payload, timeout_s)
        return Delivery(True, None, tries, status)
    except _Failed as e:
        after = f" after {tries} attempts" if tries > 1 else ""
        return Delivery(False, e.text + after, tries, e.status)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol, ValueError) as e:
        return Delivery(False, f"the URL is not a usable http(s) URL ({type(e).__name__})", tries)
