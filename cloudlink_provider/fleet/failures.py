"""Why a customer failed, in one to three lines a partner can act on; the whole text kept for `--debug`.

Owns turning what the engine said (error diagnostics, each with the URN of the
resource it is about, or the CLI's own `error:` lines) into: what failed (the
resource and the operation), the CloudLink error (name, message, correlation id)
or the engine's message, and what to do where we know it. A Python traceback,
a local file path or a library's module path never gets through: a traceback is
reduced to its last line and the exception's module path is dropped. The same
text goes to the table, the JSON and the Markdown. It runs nothing: a failed
`pulumi` command arrives as the gateway's `EngineFailed`, with its stderr.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from ..pulumi_facts import STACK_TYPE, short_type, urn_type
from .engine.gateway import EngineFailed
from .state.locks import LOCKED

_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w]*\.)*(?P<cls>[A-Za-z_]\w*(?:Error|Exception|Exit|Interrupt|Refused))"
                             r"(?::\s*(?P<msg>.*))?$")
# The provider's own one line names the resource kind and operation (resources/_base.py, refusal_line):
# the report names the resource itself, so that prefix is not repeated.
_PROVIDER_PREFIX = re.compile(r"^[A-Z][A-Za-z]+ (?:check|diff|create|read|update|delete): ")
_API_ERROR = re.compile(r"\b(?P<status>[1-5]\d\d) (?P<name>[A-Z][A-Za-z]+)\b")
_LOCK_LOCATION = re.compile(r"^\S+: (created by \S+ \(pid -?\d+\) at \S+)$")  # pkg/backend/diy/lock.go
_FILE_URL = re.compile(r"file://\S*")
_LOCAL_PATH = re.compile(r"(?<![\w/:])(?:/[\w.@+-]+){2,}/?")
_NOISE = ("an unhandled error occurred: program exited with non-zero exit code",
          "update failed", "preview failed", "refresh failed", "destroy failed", "failed to run update",
          "one or more errors occurred")

# What to do, by CloudLink error name (the API's), where we know it.
ADVICE = {
    "Unauthorized": "check the stack's cloudlink:clientId and cloudlink:clientSecret",
    "InvalidClient": "check the stack's cloudlink:clientId and cloudlink:clientSecret",
    "Forbidden": "these partner credentials may not manage this customer's account",
    "NotFound": "it was deleted outside Pulumi: `cloudlink fleet up --refresh` re-creates it",
    "Conflict": "it was changed outside Pulumi meanwhile: `cloudlink fleet up --refresh`",
    "TooManyRequests": "CloudLink's rate limit: run again with a lower --parallel",
    "GatewayAlreadyAssociated": "another account holds this gateway serial: check gateway.serialNumber",
}
RETRY_ADVICE = "CloudLink failed; run `cloudlink fleet up` again (what was created is adopted, never duplicated)"


@dataclass(frozen=True)
class Diagnostic:
    """One error the engine reported: `urn` names the resource ('' for the stack or the CLI)."""
    message: str
    urn: str = ""


def _clean(message: str) -> str:
    """The message without a traceback, module paths or local paths: its last meaningful line(s)."""
    lines = [ln.rstrip() for ln in message.strip().splitlines() if ln.strip()]
    if any(ln.startswith("Traceback (most recent call last)") for ln in lines):
        frames = [ln for ln in lines if not ln.startswith((" ", "\t", "Traceback", "During handling",
                                                           "The above exception"))]
        lines = frames[-1:] or lines[-1:]
    out = []
    for line in lines:
        line = line.strip()
        if line.lower().startswith("error: "):
            line = line[len("error: "):]
        if any(line.lower().startswith(n) for n in _NOISE):
            continue
        match = _EXCEPTION_LINE.match(line)
        if match and match["msg"]:
            line = match["msg"]
        line = _LOCK_LOCATION.sub(r"lock \1", line)
        out.append(_LOCAL_PATH.sub("<path>", _FILE_URL.sub("<state>", line)))
    return "\n".join(out)


def _resource(urn: str) -> str:
    type_ = urn_type(urn)
    if not type_ or type_ == STACK_TYPE:
        return ""
    return f"{urn.rsplit('::', 1)[-1]} ({short_type(type_)})"


def engine_diagnostics(error: BaseException) -> list[Diagnostic]:
    """What a failed command said: its `error:` blocks (else its last lines); another exception as itself."""
    if not isinstance(error, EngineFailed):
        return [Diagnostic(f"{type(error).__name__}: {error}")]
    if error.error_lines:
        return [Diagnostic(block) for block in error.error_lines]
    lines = [ln.rstrip() for ln in error.stderr.splitlines() if ln.strip()]
    return [Diagnostic("\n".join(lines[-8:]) or str(error).strip()[-2000:])]


def engine_message(error: BaseException) -> str:
    """A failed engine command in its own words: its `error:` lines (else its last lines), cleaned."""
    return summarise(engine_diagnostics(error), {}, "")


def advice(text: str, stack: str) -> str:
    """What to do, where we know it, for this error text."""
    if LOCKED in text:
        return (f"a killed run left its lock: `cloudlink fleet recover --stacks {stack}`, "
                "then `cloudlink fleet up`")
    if "failed to load checkpoint" in text or "pending operations" in text:
        return f"a killed run left its state half-written: `cloudlink fleet recover --stacks {stack}`"
    if text.startswith("invalid customer spec"):
        return f"fix stacks/Pulumi.{stack}.yaml (`cloudlink fleet preview --stacks {stack}` checks it)"
    api = _API_ERROR.search(text)
    if api:
        if api["name"] in ADVICE:
            return ADVICE[api["name"]]
        if api["status"].startswith("5"):
            return RETRY_ADVICE
    return ""


def summarise(diagnostics: Iterable[Diagnostic], ops: dict[str, str], stack: str) -> str:
    """One to three lines: what failed and CloudLink's or the engine's words, then what to do.

    `ops` maps a resource URN to the step the engine was taking on it (create, update, ...)."""
    items = [(d, _clean(d.message)) for d in diagnostics]
    items = [(d, text) for d, text in items if text] or [(d, _clean(d.message) or d.message.strip())
                                                        for d in diagnostics][:1]
    if not items:
        return "the engine failed without saying why (run with --debug for its output)"
    # The resource's own error first: it is the cause; the stack-level ones follow from it.
    items.sort(key=lambda item: not _resource(item[0].urn))
    diag, text = items[0]
    resource = _resource(diag.urn)
    if text.startswith("invalid customer spec"):
        bullets = [ln.strip().lstrip("- ").strip() for ln in text.splitlines()[1:]]
        first = "invalid customer spec: " + "; ".join(b for b in bullets if b)
    else:
        first = " ".join(text.splitlines())
    if resource:
        op = ops.get(diag.urn, "")
        first = f"{resource}{' ' + op if op else ''} failed: {_PROVIDER_PREFIX.sub('', first)}"
    lines = [first]
    more = [t for d, t in items[1:] if _resource(d.urn) and t != text]
    if more:
        lines.append(f"and {len(more)} more resource error(s); --debug shows them all")
    hint = advice(text, stack)
    if hint:
        lines.append(f"what to do: {hint}")
    return "\n".join(lines[:3])
