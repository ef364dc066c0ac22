"""One stack's engine events -> what changed, field by field, with secrets masked.

Owns the reading of the engine's structured event stream (its `--event-log`, as the
SDK's public `EngineEvent`): resource
steps (`op`, `diffs`/`detailedDiff`, old/new inputs and outputs), refresh
results (what changed outside Pulumi), error diagnostics and the summary
counts. It must never let a secret value through: values the engine marks
secret, config keys that are `secure:` and fields whose name says they hold a
secret all become `[secret]`. Nor does it show the engine's unknown placeholder:
a value not known until `up` reads `(known after up)`, as Terraform says it.

Adoptions: the engine has no import for dynamic providers, so a create that
`up` will perform as an adoption is named `adopt` here: the Account create of a
spec with `adoptAccountId`, and every other create in the same run (a stack
freshly written by `fleet import`, or adopting by hand: each resource's create
takes over the live object found by its natural key under the adopted account).
Counts move those steps from `create` to `adopt`. It does not run anything.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

from pulumi.automation import EngineEvent, OpType

from ..pulumi_facts import PROVIDER_PREFIX, SIG_KEY, STACK_TYPE, UNKNOWN, short_type, urn_name, urn_type

Event = EngineEvent  # one engine event, as the rooms above name it (they do not import the SDK themselves)
SECRET = "[secret]"
KNOWN_AFTER_UP = "(known after up)"
ADOPT = "adopt"
ACCOUNT_TYPE = "cloudlink:Account"
SECRETISH = re.compile(r"(secret|password|passphrase|token|privatekey|apikey)$", re.IGNORECASE)
ANSI = re.compile(r"\x1b\[[0-9;]*m|<\{%[a-z]*%\}>")
UNCHANGED_OPS = {OpType.SAME.value, OpType.READ.value, OpType.REFRESH.value}
_COUNTED = {"create": "create", "import": "adopt", "update": "update", "replace": "replace",
            "delete": "delete", "same": "same"}


@dataclass
class FieldChange:
    """One field that differs: `old` is what is there now (state or live), `new` what it becomes."""
    field: str
    old: Any = None
    new: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass
class ResourceChange:
    """One resource the engine plans (or performed) a step for."""
    urn: str
    type: str
    name: str
    op: str
    fields: list[FieldChange] = field(default_factory=list)
    outside: list[FieldChange] = field(default_factory=list)  # changed behind Pulumi's back (from refresh)
    deleted_outside: bool = False
    inputs: dict[str, Any] = field(default_factory=dict, repr=False)  # planned inputs, masked (describe.py)
    old_inputs: dict[str, Any] = field(default_factory=dict, repr=False)  # the state's inputs, masked

    def to_json(self) -> dict[str, Any]:
        return {"urn": self.urn, "type": self.type, "name": self.name, "op": self.op,
                "fields": [f.to_json() for f in self.fields],
                "changedOutside": [f.to_json() for f in self.outside], "deletedOutside": self.deleted_outside}


def mask(value: Any) -> Any:
    """The value with every engine-marked secret replaced by `[secret]`, and every unknown by
    `(known after up)`."""
    if isinstance(value, dict):
        if SIG_KEY in value:
            return SECRET
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    if value == UNKNOWN:
        return KNOWN_AFTER_UP
    return value


def engine_event(data: dict[str, Any]) -> EngineEvent:
    """An event in the engine's JSON form (as its event log writes it) -> the SDK's `EngineEvent`."""
    return EngineEvent.from_json(data)


def _root(path: str) -> str:
    return re.split(r"[.\[]", path, maxsplit=1)[0]


def _props(state: Any, which: str) -> dict[str, Any]:
    return dict(getattr(state, which, None) or {}) if state is not None else {}


@dataclass(frozen=True)
class PolicyViolation:
    """A policy pack's finding: `standard` is the policy's name (a standard's id); `level` mandatory or advisory."""
    standard: str
    level: str
    message: str

    def to_json(self) -> dict[str, str]:
        return {"standard": self.standard, "level": self.level, "message": self.message}


class EventCollector:
    """Feed it every engine event of one operation (`collector(event)`); read the results after.

    `secret_keys` are the stack's `secure:` config keys (`cloudlink:clientSecret`);
    fields with those names, bare or namespaced, are always masked.
    """

    def __init__(self, secret_keys: set[str] | frozenset[str] = frozenset()):
        self._secret_names = {k for key in secret_keys for k in (key, key.split(":", 1)[-1])}
        self._lock = threading.Lock()
        self.steps: dict[str, ResourceChange] = {}
        self.outside: dict[str, list[FieldChange] | None] = {}  # None: deleted outside
        self.errors: list[str] = []
        self.warnings: list[str] = []  # the program's warnings (readiness advisories), as the engine shows them
        self.error_urns: dict[str, str] = {}  # error message -> the URN of the resource it is about
        self.summary: dict[str, int] | None = None
        self._stack_ops: set[str] = set()  # the stack resource's own step, which the summary counts too
        self.policies: list[PolicyViolation] = []  # what the standards' policy pack reported (policy/)
        self.activity = "starting"

    # -- masking ----------------------------------------------------------------------------
    def _value(self, name: str, value: Any) -> Any:
        if value == UNKNOWN:
            return KNOWN_AFTER_UP
        if name in self._secret_names or _root(name) in self._secret_names:
            return SECRET if value is not None else None
        if SECRETISH.search(_root(name)) and value not in (None, SECRET):
            return SECRET
        return mask(value)

    def _change(self, name: str, old: dict[str, Any], new: dict[str, Any]) -> FieldChange:
        root = _root(name)
        return FieldChange(name, self._value(name, old.get(name, old.get(root))),
                           self._value(name, new.get(name, new.get(root))))

    @staticmethod
    def _differing(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
        return sorted(k for k in old.keys() | new.keys() if not k.startswith("__") and old.get(k) != new.get(k))

    # -- events -----------------------------------------------------------------------------
    def __call__(self, event: EngineEvent) -> None:
        with self._lock:
            if event.resource_pre_event is not None:
                self._step(event.resource_pre_event.metadata, done=False)
            elif event.res_outputs_event is not None:
                self._step(event.res_outputs_event.metadata, done=True)
            elif event.res_op_failed_event is not None:
                md = event.res_op_failed_event.metadata
                self.activity = f"failed {urn_name(md.urn)}"
            elif event.diagnostic_event is not None:
                self._diagnostic(event.diagnostic_event)
            elif event.summary_event is not None:
                self.summary = {str(k): int(v) for k, v in (event.summary_event.resource_changes or {}).items()}
                self.activity = "finishing"
            elif event.policy_event is not None:
                p = event.policy_event
                text = ": ".join(line.strip() for line in ANSI.sub("", p.message or "").splitlines() if line.strip())
                found = PolicyViolation(p.policy_name, p.enforcement_level, text)  # "<title>: <what is wrong>"
                if found not in self.policies:
                    self.policies.append(found)

    def _diagnostic(self, diag: Any) -> None:
        if diag.severity == "warning":
            warning = ANSI.sub("", diag.message or "").strip()
            if warning and warning not in self.warnings:
                self.warnings.append(warning)
            return
        if diag.severity != "error":
            return
        message = ANSI.sub("", diag.message or "").strip()
        if message and message not in self.errors:
            self.errors.append(message)
            self.error_urns[message] = getattr(diag, "urn", None) or ""

    def _step(self, md: Any, done: bool) -> None:
        op = md.op.value if hasattr(md.op, "value") else str(md.op)
        if op == OpType.REFRESH.value:
            if done:
                self._refreshed(md)
            self.activity = f"refreshing {urn_name(md.urn)}"
            return
        if md.type == STACK_TYPE:
            self._stack_ops.add(op)
        if md.type == STACK_TYPE or (md.type.startswith(PROVIDER_PREFIX)
                                                 and op != OpType.REPLACE.value):
            # the stack itself, and default providers coming and going or taking the new stack config
            # (every spec edit updates it: the engine does not count it either), are not customer resources
            return
        verb = {"same": "checked", "create": "creating", "update": "updating", "delete": "deleting",
                "replace": "replacing"}.get(op, op)
        self.activity = f"{verb} {urn_name(md.urn)}"
        if op in UNCHANGED_OPS:
            return
        old_in, new_in = _props(md.old, "inputs"), _props(md.new, "inputs")
        if op in (OpType.CREATE.value, OpType.DELETE.value, OpType.IMPORT.value, OpType.DELETE_REPLACED.value):
            names: list[str] = []  # delete-replaced (first, when deleting before replacing) has no new inputs
        else:
            names = [d for d in (md.diffs or []) if not d.startswith("__")] \
                or sorted(k for k in (md.detailed_diff or {}) if not k.startswith("__")) \
                or self._differing(old_in, new_in)
        change = self.steps.get(md.urn)
        if change is None or change.op in (OpType.DELETE_REPLACED.value, OpType.CREATE_REPLACEMENT.value):
            op_name = OpType.REPLACE.value if op in (OpType.CREATE_REPLACEMENT.value,
                                                     OpType.DELETE_REPLACED.value) else op
            if op_name == OpType.IMPORT.value or (op_name == OpType.CREATE.value and short_type(md.type) == ACCOUNT_TYPE
                                                  and new_in.get("adoptAccountId")):
                op_name = ADOPT
            change = ResourceChange(md.urn, short_type(md.type), urn_name(md.urn), op_name)
            self.steps[md.urn] = change
        # A delete-before-replace begins with its delete-replaced step, which carries no new inputs:
        # the fields come from the replacement's own step.
        if names and not change.fields and op != OpType.DELETE_REPLACED.value:
            change.fields = [self._change(n, old_in, new_in) for n in names]
        if new_in and not change.inputs:
            change.inputs = {k: self._value(k, v) for k, v in new_in.items() if not k.startswith("__")}
        if old_in and not change.old_inputs:
            change.old_inputs = {k: self._value(k, v) for k, v in old_in.items() if not k.startswith("__")}

    def _refreshed(self, md: Any) -> None:
        if md.type == STACK_TYPE or md.type.startswith(PROVIDER_PREFIX):
            return
        if md.new is None or not getattr(md.new, "id", None):
            self.outside[md.urn] = None
            return
        old_out, new_out = _props(md.old, "outputs"), _props(md.new, "outputs")
        names = self._differing(old_out, new_out)
        if names:
            self.outside[md.urn] = [self._change(n, old_out, new_out) for n in names]

    # -- results ----------------------------------------------------------------------------
    def counts(self) -> dict[str, int]:
        """create/adopt/update/replace/delete/same of the customer's resources, from the engine's summary
        (zeros when there is none) less the stack itself; adoptions are the creates named `adopt` here."""
        out = {"create": 0, "adopt": 0, "update": 0, "replace": 0, "delete": 0, "same": 0}
        for op, n in (self.summary or {}).items():
            if op in _COUNTED:
                out[_COUNTED[op]] += n
        for op in self._stack_ops:  # customer resources only: not the stack itself
            if op in _COUNTED and out[_COUNTED[op]] > 0:
                out[_COUNTED[op]] -= 1
        with self._lock:
            adopted = sum(1 for c in self._finished_steps() if c.op == ADOPT)
        moved = min(adopted - out["adopt"], out["create"]) if adopted > out["adopt"] else 0
        out["create"] -= moved
        out["adopt"] += moved
        return out

    def _finished_steps(self) -> list[ResourceChange]:
        """The steps, with creates of an adopting run renamed `adopt` (call with the lock held)."""
        adopting = any(c.op == ADOPT and c.type == ACCOUNT_TYPE for c in self.steps.values())
        if adopting:
            for change in self.steps.values():
                if change.op == OpType.CREATE.value:
                    change.op = ADOPT
        return list(self.steps.values())

    def changes(self, include_refresh_only: bool = False) -> list[ResourceChange]:
        """Resources with a step other than `same`, each with what changed outside Pulumi if known.

        `include_refresh_only` (the `refresh` operation) also lists resources whose
        state the refresh changed although no step follows.
        """
        with self._lock:
            result = []
            for change in self._finished_steps():
                urn = change.urn
                outside = self.outside.get(urn, [])
                change.deleted_outside = urn in self.outside and outside is None
                change.outside = outside or []
                result.append(change)
            if include_refresh_only:
                for urn, outside in self.outside.items():
                    if urn not in self.steps:
                        result.append(ResourceChange(urn, short_type(urn_type(urn)), urn_name(urn), "refresh",
                                                     outside=outside or [], deleted_outside=outside is None))
            return result

    def has_changes(self) -> bool:
        counts = self.counts()
        return bool(self.steps) or any(counts[k] for k in ("create", "update", "replace", "delete"))
