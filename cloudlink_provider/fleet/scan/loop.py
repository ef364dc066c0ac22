"""`cloudlink fleet drift` without an engine: one process reads every checkpoint and asks CloudLink.

Owns the scan loop. Per customer, on the fleet loop (loop.py, bounded by `--parallel`):

1. the stack file, read once, its `secure:` values decrypted in-process
   (state/secrets.py), and the checkpoint, straight from the backend
   (state/checkpoint.py), its secrets decrypted likewise;
2. the desired resources from the effective spec (the stack file over the fleet file,
   by the program's own merge, `customer.layers`; desired.py: the program's plan);
3. the in-process preview (preview.py, the one module that mirrors the engine's
   step rules, and says which test guards it), told as engine events to the same
   `EventCollector` the engine run uses, so fields, masking and counts cannot
   diverge from `--engine`;
4. coverage (coverage.py): what CloudLink has that no stack manages.

A stack whose secrets a cloud KMS provider encrypts (awskms, azurekeyvault,
gcpkms, hashivault) cannot be decrypted here: its row says so in one line
(`cannot_judge`) and the caller hands that customer to the engine (drift:
commands/selective.py `drift`; preview and up: the selective runs). The report
names the checkpoint reader that ran (`checkpointReader`).

The `users` field of a scan's report is user onboarding's summary as CloudLink says
it now (the refresh's), where `--engine` reports it as of the last `up`.
One CloudLink client (and token) per (endpoint, client id, secret), shared by
all stacks; the client honours 429 and Retry-After. It only reads: no API write,
no state write, no lock.
"""

from __future__ import annotations

import base64
import threading
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Callable

from ...client import CloudLinkError
from ...customer.layers import LayerError
from ...customer.model import SpecError
from ...fleetfile import PROVIDER_KEYS
from ...resources import CloudLinkProvider, CloudLinkRefused, credentials_from_config
from ...standards import Standards
from ..engine.env import redact_url
from ..engine.gateway import Project
from ..errors import FleetError
from ..events import EventCollector
from ..layering import layering_for
from ..loop import Listener, NullListener, run_each
from ..preflight import Problem, preflight
from ..report import CANCELLED, FAILED, UNCHANGED, FleetReport, StackOutcome, status_of
from ..stacks import CUSTOMER_KEY, StackConfig, StackFile, UnreadableStackFile, is_secure
from ..standards import LiveReader, PolicyMirror, standards_of
from ..state.checkpoint import Checkpoint, CheckpointError, CheckpointReader
from ..state.errors import StateError
from ..state.secrets import Passphrase, SecretsError, kms_provider, passphrase_from
from .blind import write_only_notes
from .coverage import Coverage
from .desired import MissingSecret, on_paper
from .preview import Judged, StackFailed, cannot_judge, preview, refresh, saved, scan_failed, warn

DEFAULT_SCAN_PARALLEL = 16  # customers at once: each is a handful of GETs, mostly waiting on the network


@dataclass
class DecryptedStack:
    """A stack's committed config: plaintext settings, decrypted secrets and the customer spec."""
    name: str
    salt: str | None
    config: dict[str, Any]
    secure_keys: set[str]
    fleet: dict[str, str] = field(default_factory=dict)  # the fleet file's provider settings (decrypted)

    @classmethod
    def load(cls, file: StackConfig, passphrase: Passphrase,
             fleet: dict[str, str] | None = None) -> "DecryptedStack":
        salt = file.salt()
        config: dict[str, Any] = {}
        for key, value in file.config().items():
            if is_secure(value):
                if not salt:
                    raise StackFailed(f"stacks/Pulumi.{file.name}.yaml has secure values but no encryptionsalt")
                try:
                    value = passphrase.decrypt(salt, value["secure"])
                except SecretsError as e:
                    raise StackFailed(f"{key}: {e}") from None
            config[key] = value
        return cls(file.name, salt, config, file.secure_keys(), dict(fleet or {}))

    def get(self, key: str) -> Any:  # the slice of pulumi.Config a provider's configure() reads
        return self.config.get(key)

    def credentials(self) -> Any:
        """The provider settings the engine's providers use: the stack's own, then the fleet file's."""
        return credentials_from_config(self, fleet=self.fleet)


class Scanner:
    """Scan many stacks at once: `run(names)` -> FleetReport.

    `refresh` (drift, `up --refresh`): read every state resource live first, as
    `pulumi preview --refresh` does; without it (a preview) the state stands as saved.
    `operation` names the report (`drift`, `preview`); changes are drift for `drift`
    or with `expect_no_changes`. `for_up`: a customer without state cannot be judged.
    `observe(stack, resource, type, outputs)` sees every refreshed resource's live outputs
    (the rollout's health gate reads the PBX link's status there). Each outcome's
    `cannot_judge` says why the engine must decide that customer (preview.cannot_judge)."""

    def __init__(self, project: str, stacks_dir: Path, backend_url: str, reader: CheckpointReader,
                 passphrase: Passphrase, listener: Listener | None = None, parallel: int = DEFAULT_SCAN_PARALLEL,
                 shard: str | None = None, coverage: Coverage | None = None, refresh: bool = True,
                 operation: str = "drift", expect_no_changes: bool = False, for_up: bool = False,
                 observe: Callable[[str, str, str, dict[str, Any]], None] | None = None,
                 live: LiveReader | None = None, policies: PolicyMirror | None = None):
        self.project = project
        self.stacks_dir = stacks_dir
        self.backend_url = backend_url
        self.reader = reader
        self.passphrase = passphrase
        self.listener: Listener = listener or NullListener()
        self.parallel = parallel
        self.shard = shard
        self.coverage = coverage  # collecting what no stack manages, or None
        self.refresh = refresh
        self.operation = operation
        self.expect_no_changes = expect_no_changes
        self.for_up = for_up
        self.observe = observe
        self.live = live  # collecting each customer's live facts for the standards, or None
        self.policies = policies  # the standards' policy pack as the engine would run it (preview, up), or None
        self._cancelled = threading.Event()
        self._kms: dict[str, str] = {}  # stack -> why the engine must check it (its secrets provider)
        self._providers: dict[str, type[CloudLinkProvider]] = {}
        self._providers_lock = threading.Lock()
        self.unusable: dict[str, Problem] = {}  # stacks that cannot reach CloudLink (preflight.py): failed rows
        self.layering = layering_for(stacks_dir)

    def _fleet_settings(self, file: StackConfig) -> dict[str, str]:
        """The fleet file's provider settings, decrypted once for the whole scan; only read when the stack
        file lacks some of its own (a full stack file never opens the fleet file)."""
        config = file.config()
        if all(config.get(f"cloudlink:{k}") not in (None, "") for k in PROVIDER_KEYS):
            return {}
        return self.layering.provider_settings(self.passphrase)

    def cancel(self, hard: bool = False) -> None:
        self._cancelled.set()
        self.listener.interrupted(hard)

    def run(self, names: list[str]) -> FleetReport:
        report = FleetReport(self.operation, redact_url(self.backend_url), shard=self.shard,
                             expect_no_changes=self.expect_no_changes)
        start = time.monotonic()
        report.stacks = run_each(names, self.one, self.listener, self.parallel, self.cancel, "scan")
        report.duration_s = time.monotonic() - start
        report.interrupted = self._cancelled.is_set()
        report.checkpoints = self.reader.source
        report.handed_to_engine = {n: self._kms[n] for n in names if n in self._kms}
        return report

    # -- one customer ----------------------------------------------------------------------------
    def one(self, name: str) -> StackOutcome:
        """One customer, start to end. Never raises: whatever goes wrong is this customer's outcome."""
        start = time.monotonic()
        if self._cancelled.is_set():
            return StackOutcome(name, CANCELLED, error="not started: the run was interrupted")
        self.listener.started(name)
        if name in self.unusable:  # the preflight: this customer's endpoint or credentials do not work
            outcome = StackOutcome(name, FAILED, error=self.unusable[name].message)
            outcome.duration_s = time.monotonic() - start
            return outcome
        collector = EventCollector(set())
        users = None
        judge: str | None = None
        file = StackConfig(name, {})
        try:
            try:
                file = StackConfig(name, StackFile(self.stacks_dir, name).read())  # the one read of it
            except UnreadableStackFile as e:
                raise StackFailed(str(e)) from None
            kms = kms_provider(file.secrets_provider())
            if kms is not None:
                return self._for_engine(name, file, start, kms)
            stack = DecryptedStack.load(file, self.passphrase, self._fleet_settings(file))
            collector = EventCollector(stack.secure_keys)
            self.listener.activity(name, "reading the checkpoint")
            checkpoint = self.reader.read(name)
            users, provider_changes, exports = self._scan(name, stack, checkpoint, collector)
            judge = cannot_judge(checkpoint, provider_changes, self.for_up, exports)
            error = None
            if self.policies is not None:
                found, blocked = self.policies.judge(name, stack.config)
                collector.policies.extend(found)
                judge = judge or blocked
        except Judged as e:  # the engine would fail it the same way
            error = str(e)
        except (StackFailed, CheckpointError, SecretsError) as e:
            error = str(e)
            judge = scan_failed(error)
        except (CloudLinkError, CloudLinkRefused) as e:
            error = " ".join(str(e).split())
            judge = scan_failed(error)
        except Exception as e:  # noqa: BLE001 - one customer's failure is a row in the report, never a crash
            error = f"{type(e).__name__}: {e}"
            judge = scan_failed(error)
        outcome = StackOutcome(name, status_of(error is not None, collector.has_changes(),
                                               drift=self.operation == "drift" or self.expect_no_changes),
                               collector.counts(), collector.changes(), error=error,
                               notes=write_only_notes(self.layering.spec_data(name, file.config()), name) if self.refresh else [], users=users,
                               warnings=[] if self.refresh else list(collector.warnings), cannot_judge=judge)
        outcome.policies = list(collector.policies)
        outcome.duration_s = time.monotonic() - start
        return outcome

    def _for_engine(self, name: str, file: StackConfig, start: float, kms: str) -> StackOutcome:
        """A customer whose secrets a cloud KMS provider encrypts: the engine judges it (one line says why);
        its account still counts as managed for coverage, by the name its `up` adopts by."""
        if self.coverage is not None:
            config = file.config()
            try:
                spec = self.layering.spec(name, config)  # the effective spec, the same merge as the program's
            except (SpecError, LayerError, FleetError):
                spec = None  # the engine's run reports the spec's error
            if spec is not None and config.get("cloudlink:endpoint") and config.get("cloudlink:clientId"):
                self.coverage.managed_by_engine(str(config["cloudlink:endpoint"]), str(config["cloudlink:clientId"]),
                                                spec)
        why = f"secrets provider {kms}: the scan decrypts only the passphrase provider, so the engine checked this customer"
        self._kms[name] = why
        outcome = StackOutcome(name, UNCHANGED, cannot_judge=why)
        outcome.duration_s = time.monotonic() - start
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
                    import dill  # the SDK's own serialiser of dynamic providers

                    cls = type(dill.loads(base64.b64decode(serialized)))
                elif fallback is not None:
                    cls = fallback
                else:
                    raise StackFailed(f"no provider known for {type_}")
                self._providers[key] = cls
        provider = cls()
        provider.use_credentials(stack.credentials())
        return provider

    def _scan(self, name: str, stack: DecryptedStack, checkpoint: Checkpoint | None,
              collector: EventCollector) -> tuple[dict[str, Any] | None, list[str], set[str]]:
        """Refresh (if asked) and preview one stack into `collector`; returns user onboarding's refreshed
        summary (the pending activations the report shows), if the stack onboards users, the config keys
        the default provider's step changes, and the names of the outputs the program exports."""
        try:
            if stack.get(CUSTOMER_KEY) is None:
                raise StackFailed(f"this stack has no customer spec: set `{CUSTOMER_KEY}` in "
                                  f"stacks/Pulumi.{name}.yaml")
            spec = self.layering.spec(name, stack.config)  # the program's effective spec, the same merge
            namespace = CUSTOMER_KEY.split(":", 1)[0] + ":"
            secrets = {k.split(":", 1)[1]: v for k, v in stack.config.items()
                       if k.startswith(namespace) and isinstance(v, str)}
            paper = on_paper(spec, secrets, name)  # one planning per customer: resources, exports, warnings
            plan, exports = paper.resources, paper.exports
            if not self.refresh:
                warn(collector, paper.warnings)
        except (SpecError, LayerError, MissingSecret) as e:
            raise Judged(str(e)) from None
        if self.coverage is not None:
            self.coverage.managing(name, stack, spec)
        salt = (checkpoint.salt if checkpoint else None) or stack.salt

        def reveal(value: Any) -> Any:
            return self.passphrase.reveal(salt, value) if salt else value

        def provider_for(type_: str, serialized: str | None,
                         fallback: type[CloudLinkProvider] | None) -> CloudLinkProvider:
            return self._provider(type_, serialized, fallback, stack)

        def activity(text: str) -> None:
            self.listener.activity(name, text)

        if self.refresh:
            refreshed = refresh(name, checkpoint, plan, reveal, provider_for, collector, activity)
            if self.observe is not None:
                for rname, r in refreshed.items():
                    self.observe(name, rname, r.state.type, r.outputs)
        else:
            refreshed = saved(checkpoint, plan, reveal, provider_for)
        if self.coverage is not None:
            self.coverage.owned(name, stack, spec, {n: (r.id, r.outputs) for n, r in refreshed.items()})
        if self.live is not None and self.refresh:
            activity("reading live facts for the standards")
            client = next(iter(refreshed.values())).provider.client if refreshed else None
            self.live.observe(name, stack.config, spec, {n: (r.inputs, r.outputs) for n, r in refreshed.items()},
                              client)
        provider_changes = preview(name, self.project, stack.config, stack.secure_keys, checkpoint, plan, refreshed,
                                   reveal, provider_for, collector, activity)
        onboarding = refreshed.get("users")  # issue 11: pending activations, as CloudLink says now
        return (onboarding.outputs.get("summary") if onboarding else None), provider_changes, exports


def _unreadable_state(operation: str, project: Project, names: list[str], shard: str | None,
                      error: StateError) -> FleetReport:
    """The report when the backend cannot be read: every customer a failed row saying why (never an abort)."""
    report = FleetReport(operation, redact_url(project.backend_url), shard=shard)
    report.stacks = [StackOutcome(name, FAILED, error=f"the state cannot be read: {error}") for name in names]
    return report


def scan_drift(project: Project, names: list[str], parallel: int | None = None, shard: str | None = None,
               listener: Listener | None = None, fail_on_unmanaged: bool = False, standards: Standards | None = None,
               today: date | None = None, coverage_too: bool = True) -> FleetReport:
    """`cloudlink fleet drift` as a scan over `project`: the report, with coverage (unless `coverage_too` is
    False: `fleet standards` needs none), and with `standards` the standards report beside it
    (`report.standards`). Whatever fails, the report is written: a customer that cannot reach CloudLink is a
    failed row (the preflight), a coverage listing that fails is a section (`coverage_errors`)."""
    try:
        reader = project.state
    except StateError as e:
        return _unreadable_state("drift", project, names, shard, e)
    coverage = Coverage() if coverage_too else None
    live = LiveReader(stacks_dir=project.stacks_dir) if standards is not None else None
    passphrase = passphrase_from(project.env)
    scanner = Scanner(project.name, project.stacks_dir, project.backend_url, reader, passphrase,
                      listener, parallel or DEFAULT_SCAN_PARALLEL, shard, coverage, live=live)
    scanner.unusable = preflight(project.stacks_dir, names, passphrase)  # cannot reach CloudLink: a failed row
    try:
        report = scanner.run(names)
    finally:
        project.close()
    if live is not None and standards is not None:
        failed = {s.stack: s.error or s.status for s in report.stacks
                  if s.stack not in live.customers and s.stack not in live.errors}
        report.standards = standards_of(standards, live, failed, today)
    report.fail_on_unmanaged = fail_on_unmanaged
    if coverage is None:
        return report
    if not report.interrupted and shard is None:  # a shard sees only its own stacks: accounts are for one job
        report.coverage_errors = coverage.partner_accounts()  # a listing that fails is a section, never an abort
    report.unmanaged = coverage.sorted()
    return report


def scan(project: Project, names: list[str], listener: Listener | None = None, parallel: int | None = None,
         shard: str | None = None, refresh: bool = False, operation: str = "preview", expect_no_changes: bool = False,
         for_up: bool = False, observe: Callable[[str, str, str, dict[str, Any]], None] | None = None,
         policy_pack: bool = False, unusable: dict[str, Problem] | None = None) -> FleetReport:
    """The scan over `names` without coverage (a preview, the plan before `up`, a rollout's health gate):
    a report whose rows carry `cannot_judge`. `policy_pack`: when the project has the standards' policy pack
    (which the engine would run), each row carries its findings too (standards.PolicyMirror). `unusable`: the
    preflight's findings when the caller already checked these stacks' endpoints and credentials; otherwise
    the preflight runs here first, so a customer that cannot reach CloudLink is a failed row, never
    "unchanged"."""
    try:
        reader = project.state
    except StateError as e:
        raise FleetError(str(e)) from None
    passphrase = passphrase_from(project.env)
    scanner = Scanner(project.name, project.stacks_dir, project.backend_url, reader, passphrase,
                      listener, parallel or DEFAULT_SCAN_PARALLEL, shard, refresh=refresh, operation=operation,
                      expect_no_changes=expect_no_changes, for_up=for_up, observe=observe,
                      policies=PolicyMirror(project.stacks_dir) if policy_pack and project.policy_pack() else None)
    scanner.unusable = preflight(project.stacks_dir, names, passphrase) if unusable is None else unusable
    try:
        return scanner.run(names)
    finally:
        project.close()
