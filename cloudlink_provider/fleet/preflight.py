"""Before a fleet run touches the engine: can each customer reach CloudLink and authenticate?

Owns the connectivity preflight (issue 15, point 2). A plan that could not be
made is a failure, not an empty plan: an endpoint pointed at nothing or a wrong
client secret must fail the customer's row (and the pull-request check), never
read as "unchanged", and nothing of such a run may be saved in the state.

Every distinct (endpoint, client id, client secret) among the selected stack
files is checked once, with one token grant (client_credentials), bounded:
a refused connection, a name that does not resolve, or a 401/403 fails at once
(no retry storm); a silent endpoint costs at most `ATTEMPTS` x `TIMEOUT_S`. Each
failing stack gets one line naming the endpoint, the cause and what to check in
which file. The credentials are read from the stack file itself (its secrets
decrypted in-process), so a run uses what the file says now. A stack whose
secrets a cloud KMS provider encrypts (awskms, ...) is not checked here: only the
engine opens its secrets, and the engine's own run reports what it cannot reach.
Reads no state, writes nothing, prints nothing.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from ..client import ApiError, ClientConfig, CloudLink, CloudLinkError, TransportError
from ..resources import credentials_from_config
from .state.secrets import Passphrase, SecretsError, kms_provider, passphrase_from
from .stacks import PROVIDER_KEYS, StackFile, UnreadableStackFile

TIMEOUT_S = 20.0   # one token grant: connect + answer
ATTEMPTS = 2       # a second try only for what may pass (a timeout, 429, 5xx): at most ~45 s per endpoint
MAX_WAIT_S = 3.0   # back-off between the two tries
PARALLEL = 8       # distinct endpoints checked at once


@dataclass(frozen=True)
class Problem:
    """Why a stack cannot be run: one line for every report."""
    stack: str
    message: str


def _cause(error: CloudLinkError) -> tuple[str, str]:
    """(cause, what to check) for a failed token grant."""
    if isinstance(error, ApiError):
        cid = f", correlation id {error.correlation_id}" if error.correlation_id else ""
        said = f"{error.status} {error.name}: {error.message}{cid}"
        if error.status in (401, 403):
            return f"the credentials were refused ({said})", "cloudlink:clientId and cloudlink:clientSecret"
        if error.status == 404:
            return f"no token service there ({said})", "cloudlink:endpoint"
        return f"it answered {said}", "cloudlink:endpoint (and CloudLink's status)"
    cause = error.__cause__  # the transport's own exception (the client chains it), read by name and text
    text = f"{type(cause).__name__ if cause else ''} {cause or error}".lower()
    if "timeout" in text or "timed out" in text:
        return f"no answer within {TIMEOUT_S:g} s (timeout)", "cloudlink:endpoint (and the network path to it)"
    if any(s in text for s in ("name or service not known", "nodename nor servname", "name resolution",
                                "no address associated", "getaddrinfo")):
        return "its host name does not resolve (DNS)", "cloudlink:endpoint"
    if "refused" in text:
        return "connection refused", "cloudlink:endpoint"
    if isinstance(error, TransportError):
        return f"it cannot be reached ({' '.join(str(cause or error).split())[:160]})", "cloudlink:endpoint"
    return " ".join(str(error).split())[:200], "cloudlink:endpoint"


def grant(config: ClientConfig) -> tuple[str, str] | None:
    """One bounded token grant with these credentials: None when it works, else (cause, what to check)."""
    bounded = ClientConfig(endpoint=config.endpoint, client_id=config.client_id, client_secret=config.client_secret,
                           service_urls=config.service_urls, timeout_s=TIMEOUT_S, max_attempts=ATTEMPTS,
                           max_wait_s=MAX_WAIT_S)
    try:
        with CloudLink(bounded) as client:
            client.session.tokens.bearer()
    except CloudLinkError as e:
        return _cause(e)
    except Exception as e:  # noqa: BLE001 - a URL the HTTP library cannot even send to
        return f"the endpoint is not a usable URL ({' '.join(str(e).split())[:120]})", "cloudlink:endpoint"
    return None


def _kms(stacks_dir: Path, name: str) -> bool:
    """Whether the stack file names a cloud KMS secrets provider. Raises ValueError (an unreadable file)."""
    try:
        data = StackFile(stacks_dir, name).read()
    except UnreadableStackFile as e:
        raise ValueError(str(e)) from None
    provider = data.get("secretsprovider")
    return kms_provider(str(provider) if provider else None) is not None


def credentials(stacks_dir: Path, name: str, passphrase: Passphrase) -> ClientConfig:
    """The provider credentials the stack file holds now (its client secret decrypted in-process).
    Raises ValueError (unreadable file, a missing setting) or SecretsError (a wrong passphrase)."""
    try:
        values = StackFile(stacks_dir, name).provider_settings(passphrase)
    except UnreadableStackFile as e:
        raise ValueError(str(e)) from None
    if all(key in values for key in PROVIDER_KEYS):
        return credentials_from_config(values, fleet={})
    from .layering import layering_for  # what the stack file leaves out comes from the fleet file, as the program reads it

    return credentials_from_config(values, fleet=layering_for(stacks_dir).provider_settings(passphrase))


def _source(stacks_dir: Path, name: str) -> str:
    """Which file to check: the stack file, or also the fleet file when the stack file leaves the settings out."""
    stack_file = f"stacks/Pulumi.{name}.yaml"
    try:
        config = StackFile(stacks_dir, name).read().get("config") or {}
    except UnreadableStackFile:
        return stack_file
    if all(config.get(key) not in (None, "") for key in PROVIDER_KEYS):
        return stack_file
    return f"{stack_file} (or stacks/fleet.yaml's provider block, which it inherits)"


def preflight(stacks_dir: Path, names: list[str], passphrase: Passphrase,
              check: Callable[[ClientConfig], tuple[str, str] | None] = grant) -> dict[str, Problem]:
    """{stack: Problem} for every selected stack that cannot reach or authenticate to CloudLink.

    Each distinct (endpoint, client id, secret) is tried once, `PARALLEL` at a time."""
    problems: dict[str, Problem] = {}
    groups: dict[tuple[str, str, str], tuple[ClientConfig, list[str]]] = {}
    for name in names:
        file = f"stacks/Pulumi.{name}.yaml"
        try:
            if _kms(stacks_dir, name):
                continue  # only the engine opens a cloud KMS provider's secrets (scan/loop.py hands it over)
            config = credentials(stacks_dir, name, passphrase)
        except SecretsError as e:
            problems[name] = Problem(name, f"cannot open the secrets of {file}: {e}")
            continue
        except ValueError as e:
            said = " ".join(str(e).split())
            problems[name] = Problem(name, said if file in said else f"{said} (in {file})")
            continue
        key = (config.endpoint, config.client_id, config.client_secret)
        groups.setdefault(key, (config, []))[1].append(name)
    if not groups:
        return problems
    with ThreadPoolExecutor(max_workers=min(PARALLEL, len(groups)), thread_name_prefix="preflight") as pool:
        answers = dict(zip(groups, pool.map(lambda k: check(groups[k][0]), groups)))
    for key, answer in answers.items():
        if answer is None:
            continue
        cause, what = answer
        config, stacks = groups[key]
        for name in stacks:
            problems[name] = Problem(name, f"cannot use CloudLink at {config.endpoint} as client "
                                           f"{config.client_id}: {cause}; nothing was planned or saved. "
                                           f"Check {what} in {_source(stacks_dir, name)}")
    return problems


def check_connectivity(project: Any, names: list[str]) -> dict[str, Problem]:
    """The preflight for a fleet run over `project` (an engine.gateway.Project): its stack files, its passphrase."""
    return preflight(project.stacks_dir, names, passphrase_from(project.env))
