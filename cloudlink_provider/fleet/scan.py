"""`cloudlink fleet drift` without an engine: one process reads every checkpoint and asks CloudLink.

Owns the scan loop. Per customer, what `pulumi preview --refresh --expect-no-changes`
does, with the same code deciding each step:

1. the checkpoint, straight from the backend (checkpoint.py), its secrets
   decrypted in-process (secrets.py), and the stack file's config likewise;
2. refresh: each state resource's own provider `read(id, outputs)` (the class the
   state's `__provider` names, as the engine's dynamic-provider host loads it);
3. preview: the desired inputs from the spec (desired.py: the program's plan),
   references resolved as the engine resolves them in a preview, then the
   provider's own `check` and `diff`; nothing here decides what counts as drift;
4. the result is told as the engine tells it, as engine events fed to the same
   `EventCollector` the engine run uses, so fields, masking and counts cannot
   diverge from `--engine`.

A stack whose secrets a cloud KMS provider encrypts (awskms, azurekeyvault,
gcpkms, hashivault) cannot be decrypted here: the scan says so in one line and
hands that customer to the engine (`pulumi preview --refresh
--expect-no-changes`, the `--engine` path), whose outcome is the customer's row.

One CloudLink client (and token) per (endpoint, client id, secret), shared by
all stacks; concurrency is bounded by `--parallel`; the client honours 429 and
Retry-After. It only reads: no API write, no state write, no lock.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pulumi.automation import EngineEvent

from ..client import CloudLinkError
from ..customer.model import SpecError, parse_customer
from ..resources import CloudLinkProvider, CloudLinkRefused, credentials_from_config
from ..resources._base import UNKNOWN
from .blind import write_only_notes
from .checkpoint import (SECRET_KEY, SECRET_SIG, Checkpoint, CheckpointError, CheckpointReader, StateResource,
                         open_reader)
from .desired import Join, MissingSecret, Planned, Ref, Secret, desired
from .engine import redact_url
from .errors import FleetError
from .events import EventCollector
from .report import CANCELLED, DRIFTED, FAILED, UNCHANGED, FleetReport, StackOutcome
from .secrets import Passphrase, SecretsError
from .stacks import StackFile, UnreadableStackFile

PROJECT = "cloudlink-fleet"  # Pulumi.yaml's name: the config namespace and the state's project folder
CUSTOMER_KEY = f"{PROJECT}:customer"
SECRET_MARK = {SECRET_SIG: SECRET_KEY}  # how an engine event carries a secret value (never the value)
DEFAULT_PROVIDER = "pulumi:providers:pulumi-python"  # the engine's default provider for dynamic resources
DEFAULT_SCAN_PARALLEL = 16  # customers at once: each is a handful of GETs, mostly waiting on the network
KMS_PROVIDERS = ("awskms", "azurekeyvault", "gcpkms", "hashivault")  # secrets providers only the engine opens


def kms_provider(stacks_dir: Path, name: str) -> str | None:
    """The cloud KMS secrets provider (`awskms`, ...) of the stack file's `secretsprovider`, else None."""
    provider = StackFile(stacks_dir, name).load().get("secretsprovider")
    scheme = str(provider).split("://", 1)[0] if provider else ""
    return scheme if scheme in KMS_PROVIDERS else None


class StackFailed(Exception):
    """This customer cannot be scanned; the message is the report's `error`."""


@dataclass
class DecryptedStack:
    """A stack's committed config (read by `stacks.StackFile`): plaintext settings, decrypted secrets and the
    customer spec."""
    name: str
    salt: str | None
    config: dict[str, Any]

    @classmethod
    def load(cls, stacks_dir: Path, name: str, passphrase: Passphrase) -> "DecryptedStack":
        file = StackFile(stacks_dir, name)
        path = file.path
        try:
            data = file.read()
        except UnreadableStackFile as e:
            raise StackFailed(str(e)) from None
        salt = data.get("encryptionsalt")
        config: dict[str, Any] = {}
        for key, value in (data.get("config") or {}).items():
            if isinstance(value, dict) and set(value) == {"secure"}:
                if not salt:
                    raise StackFailed(f"stacks/{path.name} has secure values but no encryptionsalt")
                try:
                    value = passphrase.decrypt(salt, value["secure"])
                except SecretsError as e:
                    raise StackFailed(f"{key}: {e}") from None
            config[key] = value
        return cls(name, salt, config)

    def get(self, key: str) -> Any:  # the slice of pulumi.Config a provider's configure() reads
        return self.config.get(key)

    def secret(self, key: str) -> str | None:
        return self.config.get(f"{PROJECT}:{key}")


class _Config:
    """What `configure()` reads: `get("cloudlink:endpoint")`."""

    def __init__(self, stack: DecryptedStack):
        self.stack = stack

    def get(self, key: str) -> Any:
        return self.stack.get(key)


@dataclass
class _Step:
    op: str
    outputs: dict[str, Any] | None  # what dependents see during the preview; None: unknown until up
    id: str


class Scanner:
    """Scan many stacks at once: `run(names)` -> FleetReport (operation `drift`)."""

    def __init__(self, stacks_dir: Path, backend_url: str, reader: CheckpointReader, passphrase: Passphrase,
                 listener: Any = None, parallel: int = DEFAULT_SCAN_PARALLEL, shard: str | None = None,
                 coverage: Any = None, engine: Any = None):
        from .runner import NullListener

        self.stacks_dir = stacks_dir
        self.backend_url = backend_url
        self.reader = reader
        self.passphrase = passphrase
        self.listener = listener or NullListener()
        self.parallel = parallel
        self.shard = shard
        self.coverage = coverage  # coverage.Coverage collecting what no stack manages, or None
        self.engine = engine  # `one(name) -> StackOutcome` and `cancel(hard)`: for what the scan hands over
        self.handed: dict[str, str] = {}
        self._cancelled = threading.Event()
        self._providers: dict[str, CloudLinkProvider] = {}
        self._providers_lock = threading.Lock()

    def cancel(self, hard: bool = False) -> None:
        self._cancelled.set()
        if self.engine is not None:
            self.engine.cancel(hard)  # stops the engine runs it started, and tells the (same) listener
        else:
            self.listener.interrupted(hard)

    def run(self, names: list[str]) -> FleetReport:
        from .runner import run_each

        report = FleetReport("drift", redact_url(self.backend_url), shard=self.shard)
        start = time.monotonic()
        report.stacks = run_each(names, self.one, self.listener, self.parallel, self.cancel, "scan")
        report.duration_s = time.monotonic() - start
        report.interrupted = self._cancelled.is_set()
        report.checkpoints = self.reader.source
        report.handed_to_engine = {n: self.handed[n] for n in names if n in self.handed}
        return report

    # -- one customer ----------------------------------------------------------------------------
    def one(self, name: str) -> StackOutcome:
        """One customer, start to end. Never raises: whatever goes wrong is this customer's outcome."""
        start = time.monotonic()
        if self._cancelled.is_set():
            return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
        kms = kms_provider(self.stacks_dir, name)
        if kms is not None and self.engine is not None:
            return self._by_engine(name, f"secrets provider {kms}: the scan decrypts only the passphrase "
                                         "provider, so the engine checked this customer")
        self.listener.started(name)
        collector = EventCollector(set())
        users = None
        try:
            stack = DecryptedStack.load(self.stacks_dir, name, self.passphrase)
            collector = EventCollector({k for k, v in _secure_keys(self.stacks_dir, name)})
            self.listener.activity(name, "reading the checkpoint")
            checkpoint = self.reader.read(name)
            users = self._scan(name, stack, checkpoint, collector)
            error = None
        except (StackFailed, CheckpointError, SecretsError) as e:
            error = str(e)
        except (CloudLinkError, CloudLinkRefused) as e:
            error = " ".join(str(e).split())
        except Exception as e:  # noqa: BLE001 - one customer's failure is a row in the report, never a crash
            error = f"{type(e).__name__}: {e}"
        outcome = StackOutcome(name, UNCHANGED, collector.counts(), collector.changes(),
                               notes=write_only_notes(self.stacks_dir, name), users=users)
        if error is not None:
            outcome.status, outcome.error = FAILED, error
        elif collector.has_changes():
            outcome.status = DRIFTED
        outcome.duration_s = time.monotonic() - start
        return outcome

    def _by_engine(self, name: str, why: str) -> StackOutcome:
        """This customer through the engine (`drift --engine` for one stack), the reason in one line."""
        self.handed[name] = why
        if self.coverage is not None:  # its account is managed, even though the scan does not read it
            config = StackFile(self.stacks_dir, name).config()
            try:
                spec = parse_customer(config[CUSTOMER_KEY]) if config.get(CUSTOMER_KEY) is not None else None
            except SpecError:
                spec = None  # the engine's run reports the spec's error
            if spec is not None and config.get("cloudlink:endpoint") and config.get("cloudlink:clientId"):
                self.coverage.managed_by_engine(str(config["cloudlink:endpoint"]), str(config["cloudlink:clientId"]),
                                                spec)
        outcome = self.engine.one(name)
        outcome.notes.insert(0, why)
        return outcome

    def _provider(self, type_: str, serialized: str | None, fallback: type[CloudLinkProvider] | None,
                  stack: DecryptedStack) -> CloudLinkProvider:
        """The provider the engine would load: the state's `__provider` (a dill reference to the class), else
        the program's; configured from the stack's config, sharing one client per credentials."""
        key = serialized or (fallback.__module__ + "." + fallback.__qualname__ if fallback else type_)
        with self._providers_lock:
            cls = self._providers.get(key)
            if cls is None:
                if serialized:
                    import dill

                    cls = type(dill.loads(base64.b64decode(serialized)))
                elif fallback is not None:
                    cls = fallback
                else:
                    raise StackFailed(f"no provider known for {type_}")
                self._providers[key] = cls  # type: ignore[assignment]
        provider = cls()  # type: ignore[operator]
        provider.use_credentials(credentials_from_config(_Config(stack)))
        return provider

    def _scan(self, name: str, stack: DecryptedStack, checkpoint: Checkpoint | None,
              collector: EventCollector) -> dict[str, Any] | None:
        """Refresh and preview one stack into `collector`; returns user onboarding's refreshed summary (the
        pending activations the report shows), if the stack onboards users."""
        try:
            raw = stack.get(CUSTOMER_KEY)
            if raw is None:
                raise StackFailed(f"this stack has no customer spec: set `{CUSTOMER_KEY}` in "
                                  f"stacks/Pulumi.{name}.yaml")
            spec = parse_customer(raw)
            plan = desired(spec, {k.split(":", 1)[1]: v for k, v in stack.config.items()
                                  if k.startswith(PROJECT + ":") and isinstance(v, str)}, name)
        except (SpecError, MissingSecret) as e:
            raise StackFailed(str(e)) from None
        if self.coverage is not None:
            self.coverage.managing(name, stack, spec)
        salt = (checkpoint.salt if checkpoint else None) or stack.salt
        state = checkpoint.managed() if checkpoint else []

        # 1. refresh: every resource in the state, read by its own provider
        refreshed: dict[str, tuple[StateResource, dict[str, Any], dict[str, Any], str, CloudLinkProvider]] = {}
        for res in state:
            self.listener.activity(name, f"refreshing {res.name}")
            inputs = self.passphrase.reveal(salt, res.inputs) if salt else res.inputs
            outputs = self.passphrase.reveal(salt, res.outputs) if salt else res.outputs
            planned = plan.get(res.name)
            provider = self._provider(res.type, res.inputs.get("__provider"),
                                      planned.provider if planned else None, stack)
            try:
                result = provider.read(res.id, outputs)
            except (CloudLinkError, CloudLinkRefused) as e:  # the providers' own one line names the resource
                raise StackFailed(f"{res.name} ({_short(res.type)}) refresh: {' '.join(str(e).split())}") from None
            old_marked = _marked(outputs, _secret_paths(res.outputs))
            if not result.id:
                collector(_event("resOutputsEvent", "refresh", res.urn, res.type, old={"outputs": old_marked},
                                 new=None))
                continue
            outs = {**(result.outs or {}), "__provider": res.outputs.get("__provider")}
            new_inputs = ({**result.inputs, "__provider": res.inputs.get("__provider")}
                          if result.inputs is not None else inputs)
            secret_out = _secret_paths(res.outputs) | set(planned.secret_outputs if planned else ())
            collector(_event("resOutputsEvent", "refresh", res.urn, res.type, old={"outputs": old_marked},
                             new={"id": result.id, "outputs": _marked(outs, secret_out)}))
            refreshed[res.name] = (res, new_inputs, outs, result.id, provider)
        if self.coverage is not None:
            self.coverage.owned(name, stack, spec, {n: (r[3], r[2]) for n, r in refreshed.items()})

        # 2. preview: the default provider first (its inputs are the stack's config), then the program's
        # resources in registration order, each through check and diff
        if checkpoint is not None:
            self._provider_step(stack, checkpoint, salt, collector)
        steps: dict[str, _Step] = {}
        failures: list[str] = []
        counts = {"same": 0, "create": 0, "update": 0, "replace": 0, "delete": 0}
        stack_op = "same" if checkpoint and checkpoint.has_stack else "create"
        counts[stack_op] += 1  # the stack itself: the engine's summary counts it, and says so with its own step
        stack_urn = f"urn:pulumi:{name}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{name}"
        collector(_event("resourcePreEvent", stack_op, stack_urn, "pulumi:pulumi:Stack", old=None, new={}))
        for rname, p in plan.items():
            self.listener.activity(name, f"checking {rname}")
            news, secret_in = _resolve(p, steps)
            before = refreshed.get(rname)
            provider = before[4] if before else self._provider(p.type, None, p.provider, stack)
            old_inputs = before[1] if before else {}
            check = provider.check({k: v for k, v in old_inputs.items()}, news)
            if check.failures:
                failures += [f"{rname} ({_short(p.type)}): {f.reason}" for f in check.failures]
                steps[rname] = _Step("create", None, UNKNOWN)
                continue
            news = dict(check.inputs)
            urn = f"urn:pulumi:{name}::{PROJECT}::{p.type}::{rname}"
            new_marked = _marked(news, secret_in)
            if before is None:
                op, step = "create", _Step("create", None, UNKNOWN)
                collector(_event("resourcePreEvent", "create", urn, p.type, old=None,
                                 new={"inputs": new_marked}))
            else:
                res, old_in, old_out, id_, _ = before
                diff = provider.diff(id_, old_out, news)
                changes = diff.changes
                if changes is None:  # DiffUnknown: the engine compares the inputs itself
                    changes = _plain(old_in) != _plain(news)
                if not changes:
                    op, step = "same", _Step("same", old_out, id_)
                elif diff.replaces:
                    op, step = "replace", _Step("replace", None, UNKNOWN)
                else:
                    # A dynamic provider does not preview updates: the engine takes the new inputs as the
                    # outputs, so an output that is not an input is unknown to dependents until `up`.
                    op, step = "update", _Step("update", dict(news), id_)
                old_secret = _secret_paths(res.inputs) | secret_in
                collector(_event("resourcePreEvent", op, urn, p.type,
                                 old={"id": id_, "inputs": _marked(old_in, old_secret),
                                      "outputs": _marked(old_out, old_secret)},
                                 new={"id": id_, "inputs": new_marked}, keys=list(diff.replaces or [])))
            counts[op] += 1
            steps[rname] = step
        for rname, (res, old_in, _out, id_, _p) in refreshed.items():
            if rname not in plan:
                counts["delete"] += 1
                collector(_event("resourcePreEvent", "delete", res.urn, res.type,
                                 old={"id": id_, "inputs": _marked(old_in, _secret_paths(res.inputs))}, new=None))
        if failures:
            raise StackFailed("\n".join(failures))
        collector(EngineEvent.from_json({"summaryEvent": {"resourceChanges": counts}}))
        onboarding = refreshed.get("users")  # issue 11: pending activations, as CloudLink says now
        return onboarding[2].get("summary") if onboarding else None


    def _provider_step(self, stack: DecryptedStack, checkpoint: Checkpoint, salt: str | None,
                       collector: EventCollector) -> None:
        """The engine's default provider takes the whole stack config as inputs, and has no DiffConfig:
        any config key that differs from the state (a spec edit, a rotated secret) plans an update of it."""
        for res in checkpoint.resources:
            if res.type != DEFAULT_PROVIDER or res.name != "default":
                continue
            old = self.passphrase.reveal(salt, res.inputs) if salt else res.inputs
            new = {k: _config_value(v) for k, v in stack.config.items()}
            changed = sorted(k for k in old.keys() | new.keys() if not k.startswith("__")
                             and not _same_config(old.get(k), new.get(k)))
            if not changed:
                return
            secret = _secret_paths(res.inputs) | {k for k, v in _secure_keys(self.stacks_dir, stack.name)}
            collector(EngineEvent.from_json({"resourcePreEvent": {"metadata": {
                "op": "update", "urn": res.urn, "type": res.type, "provider": "",
                "old": {"type": res.type, "urn": res.urn, "id": res.id, "inputs": _marked(old, secret)},
                "new": {"type": res.type, "urn": res.urn, "id": res.id, "inputs": _marked(new, secret)},
                "keys": [], "diffs": changed, "detailedDiff": None}}}))
            return


def _config_value(value: Any) -> Any:
    """A config value as the engine passes it to the provider: objects as compact JSON text, keys sorted."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return value if isinstance(value, str) else json.dumps(value)


def _same_config(old: Any, new: Any) -> bool:
    if old == new:
        return True
    try:
        return isinstance(old, str) and isinstance(new, str) and json.loads(old) == json.loads(new)
    except ValueError:
        return False


def _secure_keys(stacks_dir: Path, name: str) -> list[tuple[str, bool]]:
    return [(k, True) for k in sorted(StackFile(stacks_dir, name).secure_keys())]


def _short(type_: str) -> str:
    return type_.split("dynamic/", 1)[-1]


def _secret_paths(props: dict[str, Any]) -> set[str]:
    """Top-level property names the checkpoint stores as secrets."""
    return {k for k, v in props.items() if isinstance(v, dict) and v.get(SECRET_SIG) == SECRET_KEY}


def _marked(props: dict[str, Any], secret: set[str]) -> dict[str, Any]:
    """Props as an engine event carries them: secret values replaced by the secret marker."""
    return {k: (dict(SECRET_MARK) if k in secret and v is not None else v) for k, v in props.items()}


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if not k.startswith("__")}


def _resolve(p: Planned, steps: dict[str, _Step]) -> tuple[dict[str, Any], set[str]]:
    """The planned inputs as the provider receives them during a preview, and which of them are secret."""
    news: dict[str, Any] = {}
    secret: set[str] = set()
    for key, value in p.inputs.items():
        if isinstance(value, Secret):
            secret.add(key)
            value = value.value
        news[key] = _reference(value, steps)
    return news, secret


def _reference(value: Any, steps: dict[str, _Step]) -> Any:
    """A `Ref` or `Join` as the engine resolves it in a preview: unknown until what it names is known."""
    if isinstance(value, Join):
        parts = [_reference(part, steps) for part in value.parts]
        return UNKNOWN if UNKNOWN in parts else "".join(str(part) for part in parts)
    if not isinstance(value, Ref):
        return value
    step = steps.get(value.resource)
    if step is None:
        return UNKNOWN
    if value.output == "id":
        return step.id if step.id else UNKNOWN
    if step.outputs is None or step.outputs.get(value.output) is None:
        return UNKNOWN
    return step.outputs[value.output]


def _event(kind: str, op: str, urn: str, type_: str, old: dict[str, Any] | None, new: dict[str, Any] | None,
           keys: list[str] | None = None) -> EngineEvent:
    def state(s: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if s is None else {"type": type_, "urn": urn, "custom": True, **s}

    metadata = {"op": op, "urn": urn, "type": type_, "provider": "", "old": state(old), "new": state(new),
                "keys": keys or [], "diffs": [], "detailedDiff": None}
    return EngineEvent.from_json({kind: {"metadata": metadata}})


def passphrase_from(env: dict[str, str]) -> Passphrase:
    """The passphrase the engine would use: PULUMI_CONFIG_PASSPHRASE, else PULUMI_CONFIG_PASSPHRASE_FILE."""
    if env.get("PULUMI_CONFIG_PASSPHRASE") is not None:
        return Passphrase(env["PULUMI_CONFIG_PASSPHRASE"])
    if env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        try:
            return Passphrase(Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"]).read_text().rstrip("\n"))
        except OSError as e:
            raise FleetError(f"PULUMI_CONFIG_PASSPHRASE_FILE: {e.strerror}") from None
    raise FleetError("set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE): the scan decrypts the "
                     "stacks' secrets with it")


class _EngineHandOver:
    """The engine path of `fleet drift --engine`, one customer at a time, for the customers the scan hands over."""

    def __init__(self, project: Any, listener: Any):
        from .runner import Fleet, RunOptions

        self.fleet = Fleet(project, listener)
        self.options = RunOptions("drift", parallel=1)

    def one(self, name: str) -> Any:
        return self.fleet.one(name, self.options)

    def cancel(self, hard: bool = False) -> None:
        self.fleet.cancel(hard)


def scan_drift(project: Any, names: list[str], parallel: int | None = None, shard: str | None = None,
               listener: Any = None, fail_on_unmanaged: bool = False) -> FleetReport:
    """`cloudlink fleet drift` as a scan over `project` (a workspace.Project): the report, with coverage."""
    from .coverage import Coverage

    try:
        reader = open_reader(project.backend_url, PROJECT, project.dir, project.env)
    except CheckpointError as e:
        raise FleetError(str(e)) from None
    coverage = Coverage()
    scanner = Scanner(project.stacks_dir, project.backend_url, reader, passphrase_from(project.env), listener,
                      parallel or DEFAULT_SCAN_PARALLEL, shard, coverage, _EngineHandOver(project, listener))
    try:
        report = scanner.run(names)
    finally:
        reader.close()
    report.fail_on_unmanaged = fail_on_unmanaged
    if not report.interrupted and shard is None:  # a shard sees only its own stacks: accounts are for one job
        try:
            coverage.partner_accounts()
        except CloudLinkError as e:
            raise FleetError(f"listing the partner's accounts: {e}") from None
    report.unmanaged = coverage.sorted()
    return report
