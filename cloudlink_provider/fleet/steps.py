"""The engine's step rules, as the scan mirrors them: a second implementation, and it says so.

What it mirrors: the Pulumi engine's step generator for one resource in a
preview (`pkg/resource/deploy/step_generator.go`) with a dynamic provider:
no state -> `create`; the provider's `diff` says nothing changed -> `same`;
a change in a field the provider declares as replacing -> `replace`; else
`update`; a state resource the program no longer registers -> `delete`;
an adopting account's create (and every create beside it) reads `adopt`
(events.py). A dynamic provider does not preview updates: the new inputs stand
for the outputs, so an output that is not an input is `(known after up)` to
dependents, as is everything of a created or replaced resource. A `check`
failure fails the customer's preview; the program's readiness advisories are
warnings, never failures.

What it cannot know, and so hands to the engine (`cannot_judge`), never guessing:
a customer without state yet is judged for a preview (everything is a create)
but `up` runs the engine; a checkpoint that is unreadable or unknown, pending
operations a killed run left, a changed provider configuration (endpoint or
partner credentials: the providers would talk to another service or as someone
else), and any customer the scan itself could not finish.

Guarded by tests/e2e/test_fleet_preview.py: the scan preview and `--engine`
give the same (customer, resource, op, fields) set and exit code on the seeded
spec-edit corpus (tests/e2e/corpus.py), and tests/e2e/test_corpus.py for drift.
"""

from __future__ import annotations

from typing import Any, Iterable

PROVIDER_NAMESPACE = "cloudlink:"  # the provider's own config keys: endpoint, clientId, clientSecret

SAME, CREATE, UPDATE, REPLACE, DELETE = "same", "create", "update", "replace", "delete"


def step_op(diff_changes: bool | None, replaces: Iterable[str] | None, old_inputs: dict[str, Any],
            new_inputs: dict[str, Any]) -> str:
    """The step for a resource in the state and in the program, from its provider's `diff`.

    `diff_changes` None is DiffUnknown: the engine compares the inputs itself (the SDK's
    reserved `__` keys left out)."""
    changes = diff_changes
    if changes is None:
        changes = _plain(old_inputs) != _plain(new_inputs)
    if not changes:
        return SAME
    return REPLACE if list(replaces or []) else UPDATE


def _plain(props: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in props.items() if not k.startswith("__")}


def provider_config_changed(changed_keys: Iterable[str]) -> list[str]:
    """The provider's own config keys among the default provider's changed inputs."""
    return sorted(k for k in changed_keys if k.startswith(PROVIDER_NAMESPACE))


def cannot_judge(checkpoint: Any, provider_changes: list[str], for_up: bool) -> str | None:
    """Why the scan cannot say what the engine would do for this customer (None: it can).

    `checkpoint`: the parsed checkpoint, None (or without resources) when the stack has no state yet;
    `provider_changes`: `provider_config_changed(...)` of the default provider's step."""
    if checkpoint is None or not checkpoint.resources:  # never deployed (a preview may have initialised it)
        return "no state yet: the engine creates it" if for_up else None
    if checkpoint.pending_operations:
        ops = sorted({str(op.get("type", "?")) for op in checkpoint.pending_operations})
        return f"pending operations left by an interrupted run ({', '.join(ops)})"
    if provider_changes:
        return f"the provider configuration changed ({', '.join(provider_changes)})"
    return None


def scan_failed(error: str) -> str:
    """The reason a customer goes to the engine when the scan could not finish it."""
    first = error.strip().splitlines()[0] if error.strip() else "unknown error"
    return f"the scan could not judge it: {first}"
