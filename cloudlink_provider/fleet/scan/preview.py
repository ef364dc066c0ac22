"""The in-process preview: a second implementation of the engine's stack-level step rules, and says so.

This module MIRRORS THE PULUMI ENGINE. For one stack it does what `pulumi preview
--refresh --expect-no-changes` does, without an engine, and tells it as the
engine tells it: as engine events, fed to the same `EventCollector` the engine
run uses. The resource-level decisions are the providers' own (`read`,
`check`, `diff`, called here as the engine's dynamic-provider host calls them);
the stack-level rules the engine applies around them are re-implemented here,
and only here:

1. refresh: every managed resource of the checkpoint is read by its own provider
   (the class its state's `__provider` names); an empty id is a deletion outside Pulumi;
2. the default provider (`pulumi:providers:pulumi-python`) takes the whole stack
   config as inputs, serialised as the engine passes config (objects as compact
   JSON), and has no DiffConfig: any differing key plans an update of it;
3. the stack resource gets its own step (`same`, or `create` on a first run),
   which the summary counts;
4. per planned resource, in registration order: references resolved as the engine
   resolves them in a preview (unknown until what they name is known: a create, a
   replace, or an update's output that is not an input), then `check`, then `diff`
   (a `DiffUnknown` compares the inputs, `__` keys aside); a dynamic provider does
   not preview updates, so an updated resource's outputs are its new inputs;
5. what the state has and the plan does not is a delete;
6. failures from `check` fail the stack, as the engine's preview does; the
   program's warnings (readiness advisories) are warnings, never failures;
7. a preview without `--refresh` (`saved`, instead of rule 1): the state as the
   last operation saved it, read by nobody;
8. the step of a resource in the state and in the plan (`step_op`): the provider's
   `diff` says nothing changed -> `same`; a change in a field it declares as
   replacing -> `replace`; else `update`; a create of a spec adopting an account
   (and every create beside it) reads `adopt` (events.py).

What it cannot know (`cannot_judge`), and so hands to the engine, never guessing:
a customer without state yet is judged for a preview (everything is a create) but
`up` runs the engine; pending operations a killed run left; for `up`, saved stack
outputs whose names are not the ones the program exports; a changed provider
configuration (endpoint or partner credentials: the providers would talk to
another service, or as someone else); a checkpoint or stack it cannot read, or any
error of its own (`scan_failed`). The engine's own run then decides that customer.

Guarded by tests/e2e/test_fleet_preview.py (the scan preview and `fleet preview
--engine` give the same (customer, status, resource, op, fields, warnings) and exit
code on the seeded spec-edit corpus, new customers, adoptions and invalid specs),
tests/e2e/test_fleet_scan.py::test_scan_and_engine_report_the_same_drift (the scan
and `cloudlink fleet drift --engine` on a seeded fleet) and tests/e2e/test_corpus.py
(every out-of-band change and spec edit). It only reads: no API write, no state
write, no lock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable

from ...client import CloudLinkError
from ...pulumi_facts import (DEFAULT_PROVIDER, SECRET_MARK, UNKNOWN, is_secret, resource_urn, short_type,
                             stack_urn)
from ...resources import CloudLinkProvider, CloudLinkRefused
from ..events import EventCollector, engine_event
from ..state.checkpoint import Checkpoint, StateResource
from .desired import Join, Planned, Ref, Secret

ProviderFor = Callable[[str, "str | None", "type[CloudLinkProvider] | None"], CloudLinkProvider]
Reveal = Callable[[Any], Any]  # a checkpoint property value with its secrets decrypted


class StackFailed(Exception):
    """This customer cannot be scanned; the message is the report's `error`."""


class Judged(StackFailed):
    """The customer fails as the engine would fail it (an invalid spec, a `check` failure, a missing
    secret): the scan's own finding, not a reason to hand it to the engine."""


@dataclass
class Refreshed:
    """One state resource after the refresh: what the engine would hold for it."""
    state: StateResource
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    id: str
    provider: CloudLinkProvider


@dataclass
class _Step:
    op: str
    outputs: dict[str, Any] | None  # what dependents see during the preview; None: unknown until up
    id: str


def refresh(stack: str, checkpoint: Checkpoint | None, plan: dict[str, Planned], reveal: Reveal,
            provider_for: ProviderFor, collector: EventCollector,
            activity: Callable[[str], None]) -> dict[str, Refreshed]:
    """Rule 1: every managed resource of the state, read by its own provider, told as refresh events."""
    refreshed: dict[str, Refreshed] = {}
    for res in (checkpoint.managed() if checkpoint else []):
        activity(f"refreshing {res.name}")
        inputs, outputs = reveal(res.inputs), reveal(res.outputs)
        planned = plan.get(res.name)
        provider = provider_for(res.type, res.inputs.get("__provider"), planned.provider if planned else None)
        try:
            result = provider.read(res.id, outputs)
        except (CloudLinkError, CloudLinkRefused) as e:  # the providers' own one line names the resource
            raise StackFailed(f"{res.name} ({short_type(res.type)}) refresh: {' '.join(str(e).split())}") from None
        old_marked = _marked(outputs, _secret_paths(res.outputs))
        if not result.id:
            collector(_event("resOutputsEvent", "refresh", res.urn, res.type, old={"outputs": old_marked}, new=None))
            continue
        outs = {**(result.outs or {}), "__provider": res.outputs.get("__provider")}
        new_inputs = ({**result.inputs, "__provider": res.inputs.get("__provider")}
                      if result.inputs is not None else inputs)
        secret_out = _secret_paths(res.outputs) | set(planned.secret_outputs if planned else ())
        collector(_event("resOutputsEvent", "refresh", res.urn, res.type, old={"outputs": old_marked},
                         new={"id": result.id, "outputs": _marked(outs, secret_out)}))
        refreshed[res.name] = Refreshed(res, new_inputs, outs, result.id, provider)
    return refreshed


def saved(checkpoint: Checkpoint | None, plan: dict[str, Planned], reveal: Reveal,
          provider_for: ProviderFor) -> dict[str, Refreshed]:
    """Rule 7: a preview without refresh starts from the state as saved (no read, no event)."""
    out: dict[str, Refreshed] = {}
    for res in (checkpoint.managed() if checkpoint else []):
        planned = plan.get(res.name)
        provider = provider_for(res.type, res.inputs.get("__provider"), planned.provider if planned else None)
        out[res.name] = Refreshed(res, reveal(res.inputs), reveal(res.outputs), res.id, provider)
    return out


def step_op(diff_changes: bool | None, replaces: Any, old_inputs: dict[str, Any], new_inputs: dict[str, Any]) -> str:
    """Rule 8: the step of a resource in the state and in the plan, from its provider's `diff`
    (`diff_changes` None is DiffUnknown: the engine compares the inputs, `__` keys aside)."""
    changes = diff_changes
    if changes is None:
        changes = _plain(old_inputs) != _plain(new_inputs)
    if not changes:
        return "same"
    return "replace" if list(replaces or []) else "update"


PROVIDER_NAMESPACE = "cloudlink:"  # the provider's own config keys: endpoint, clientId, clientSecret


def cannot_judge(checkpoint: Checkpoint | None, provider_changes: list[str], for_up: bool,
                 exports: set[str] | None = None) -> str | None:
    """Why the scan cannot say what the engine would do for this customer; None: it can.

    `provider_changes`: the config keys the default provider's step changes (`preview`'s result).
    `exports`: the output names the program exports for this spec; an `up` whose saved stack outputs
    name others (a checkpoint restored from a backup, a program that exports something new) makes the
    engine write them, which the scan's resource steps do not show."""
    if checkpoint is None or not checkpoint.resources:  # never deployed (a preview may have initialised it)
        return "no state yet: the engine creates it" if for_up else None
    if checkpoint.pending_operations:
        ops = sorted({str(op.get("type", "?")) for op in checkpoint.pending_operations})
        return f"pending operations left by an interrupted run ({', '.join(ops)})"
    changed = sorted(k for k in provider_changes if k.startswith(PROVIDER_NAMESPACE))
    if changed:
        return f"the provider configuration changed ({', '.join(changed)})"
    if for_up and exports is not None:
        saved = set(checkpoint.stack_outputs())
        if saved != exports:
            differ = sorted(exports ^ saved)
            return f"the stack's saved outputs are not the program's ({', '.join(differ)})"
    return None


def scan_failed(error: str) -> str:
    """Why a customer goes to the engine when the scan could not finish it itself."""
    first = error.strip().splitlines()[0] if error.strip() else "unknown error"
    return f"the scan could not judge it: {first}"


def preview(stack: str, project: str, config: dict[str, Any], secure_keys: set[str], checkpoint: Checkpoint | None,
            plan: dict[str, Planned], refreshed: dict[str, Refreshed], reveal: Reveal, provider_for: ProviderFor,
            collector: EventCollector, activity: Callable[[str], None]) -> list[str]:
    """Rules 2-6 and 8: the steps the engine's preview plans after the refresh, told as engine events.
    Returns the config keys the default provider's step changes (for `cannot_judge`)."""
    provider_changes = _provider_step(checkpoint, config, secure_keys, reveal, collector) if checkpoint else []
    steps: dict[str, _Step] = {}
    failures: list[str] = []
    counts = {"same": 0, "create": 0, "update": 0, "replace": 0, "delete": 0}
    stack_op = "same" if checkpoint and checkpoint.has_stack else "create"
    counts[stack_op] += 1  # the stack itself: the engine's summary counts it, and says so with its own step
    collector(_event("resourcePreEvent", stack_op, stack_urn(stack, project), "pulumi:pulumi:Stack", old=None, new={}))
    for rname, p in plan.items():
        activity(f"checking {rname}")
        news, secret_in = _resolve(p, steps)
        before = refreshed.get(rname)
        provider = before.provider if before else provider_for(p.type, None, p.provider)
        old_inputs = before.inputs if before else {}
        check = provider.check(dict(old_inputs), news)
        if check.failures:
            failures += [f"{rname} ({short_type(p.type)}): {f.reason}" for f in check.failures]
            steps[rname] = _Step("create", None, UNKNOWN)
            continue
        news = dict(check.inputs)
        urn = resource_urn(stack, project, p.type, rname)
        new_marked = _marked(news, secret_in)
        if before is None:
            op, step = "create", _Step("create", None, UNKNOWN)
            collector(_event("resourcePreEvent", "create", urn, p.type, old=None, new={"inputs": new_marked}))
        else:
            diff = provider.diff(before.id, before.outputs, news)
            op = step_op(diff.changes, diff.replaces, before.inputs, news)
            if op == "same":
                step = _Step("same", before.outputs, before.id)
            elif op == "replace":
                step = _Step("replace", None, UNKNOWN)
            else:
                # A dynamic provider does not preview updates: the engine takes the new inputs as the
                # outputs, so an output that is not an input is unknown to dependents until `up`.
                op, step = "update", _Step("update", dict(news), before.id)
            old_secret = _secret_paths(before.state.inputs) | secret_in
            collector(_event("resourcePreEvent", op, urn, p.type,
                             old={"id": before.id, "inputs": _marked(before.inputs, old_secret),
                                  "outputs": _marked(before.outputs, old_secret)},
                             new={"id": before.id, "inputs": new_marked}, keys=list(diff.replaces or [])))
        counts[op] += 1
        steps[rname] = step
    for rname, done in refreshed.items():
        if rname not in plan:
            counts["delete"] += 1
            collector(_event("resourcePreEvent", "delete", done.state.urn, done.state.type,
                             old={"id": done.id, "inputs": _marked(done.inputs, _secret_paths(done.state.inputs))},
                             new=None))
    if failures:
        raise Judged("\n".join(failures))
    collector(engine_event({"summaryEvent": {"resourceChanges": counts}}))
    return provider_changes


def warn(collector: EventCollector, warnings: list[str]) -> None:
    """Rule 6: the program logs its warnings at every preview; the engine shows them as diagnostics."""
    for warning in warnings:
        collector(engine_event({"diagnosticEvent": {"message": warning, "color": "never", "severity": "warning"}}))


def _provider_step(checkpoint: Checkpoint, config: dict[str, Any], secure_keys: set[str], reveal: Reveal,
                   collector: EventCollector) -> list[str]:
    """Rule 2: the default provider's inputs are the whole stack config, and it has no DiffConfig.
    Returns the keys that differ."""
    for res in checkpoint.resources:
        if res.type != DEFAULT_PROVIDER or res.name != "default":
            continue
        old = reveal(res.inputs)
        new = {k: _config_value(v) for k, v in config.items()}
        changed = sorted(k for k in old.keys() | new.keys() if not k.startswith("__")
                         and not _same_config(old.get(k), new.get(k)))
        if not changed:
            return []
        secret = _secret_paths(res.inputs) | secure_keys
        collector(engine_event({"resourcePreEvent": {"metadata": {
            "op": "update", "urn": res.urn, "type": res.type, "provider": "",
            "old": {"type": res.type, "urn": res.urn, "id": res.id, "inputs": _marked(old, secret)},
            "new": {"type": res.type, "urn": res.urn, "id": res.id, "inputs": _marked(new, secret)},
            "keys": [], "diffs": changed, "detailedDiff": None}}}))
        return changed
    return []


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


def _secret_paths(props: dict[str, Any]) -> set[str]:
    """Top-level property names the checkpoint stores as secrets."""
    return {k for k, v in props.items() if is_secret(v)}


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
           keys: list[str] | None = None) -> Any:
    def state(s: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if s is None else {"type": type_, "urn": urn, "custom": True, **s}

    metadata = {"op": op, "urn": urn, "type": type_, "provider": "", "old": state(old), "new": state(new),
                "keys": keys or [], "diffs": [], "detailedDiff": None}
    return engine_event({kind: {"metadata": metadata}})
