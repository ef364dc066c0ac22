"""The `RoleAssignment` resource: the CloudLink roles held by a customer's PBX users (gateway API).

One resource per account manages the whole set of extensions the spec lists
(roles added or removed change it in place). Extensions not in the spec are
left alone: someone may manage them in the console. Roles are PUT per extension,
which is idempotent, so a retried or interrupted apply converges.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import BaseModel, ConfigDict, Field

from ..client import PbxRole
from ..customer.model import RoleSpec
from ..wire import MAX_ROLE_HOLDERS
from ._base import CloudLinkProvider, CloudLinkResource


class RoleAssignmentInputs(BaseModel):
    model_config = ConfigDict(extra="forbid")
    accountId: str = Field(min_length=1)
    pbxConnectionId: str = Field(min_length=1)  # the link the roles ride on: ordering and replacement
    roles: list[RoleSpec] = Field(max_length=MAX_ROLE_HOLDERS)


def to_spec(roles: Iterable[PbxRole]) -> list[dict[str, str]]:
    """The spec's roles list for live role holders, in extension order (shortest first): the one
    API->spec mapping, used by `read`, `fleet import` and the fleet scan. Callers choose which
    holders count (`read`: the extensions it manages; import: those of the imported gateway)."""
    return _as_list({r.extension: r.role for r in roles})


def roles_input(roles: Iterable[RoleSpec]) -> list[dict[str, str]]:
    """The resource's `roles` input for the spec's roles (extension order, as `to_spec` gives them)."""
    return _as_list({r.extension: r.role for r in roles})


def _as_map(roles: list[dict[str, str]] | None) -> dict[str, str]:
    return {r["extension"]: r["role"] for r in roles or []}


def _as_list(mapping: dict[str, str]) -> list[dict[str, str]]:
    return [{"extension": ext, "role": mapping[ext]} for ext in sorted(mapping, key=lambda e: (len(e), e))]


class RoleAssignmentProvider(CloudLinkProvider):
    inputs_model = RoleAssignmentInputs
    to_spec = staticmethod(to_spec)
    replace_on = frozenset({"accountId", "pbxConnectionId"})

    def changed_fields(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        changed = [f for f in ("accountId", "pbxConnectionId") if olds.get(f) != news.get(f)]
        if _as_map(olds.get("roles")) != _as_map(news.get("roles")):
            changed.append("roles")
        return changed

    def _apply(self, account_id: str, want: dict[str, str], have: dict[str, str]) -> None:
        api = self.client.roles
        for ext in sorted(set(have) - set(want)):  # free capacity before taking more
            api.delete(account_id, ext)
        for ext, role in sorted(want.items()):
            if have.get(ext) != role:
                api.put(account_id, ext, role)

    def _live(self, account_id: str, managed: set[str]) -> dict[str, str]:
        return _as_map(to_spec(r for r in self.client.roles.list(account_id) if r.extension in managed))

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_from(props)
        want = _as_map(inputs["roles"])
        self._apply(inputs["accountId"], want, self._live(inputs["accountId"], set(want)))
        return CreateResult(f"{inputs['accountId']}/roles", {**inputs, "roles": _as_list(want)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.inputs_from(props)
        if self.client.accounts.get(inputs["accountId"]) is None:
            return ReadResult(None, {})
        live = self._live(inputs["accountId"], set(_as_map(inputs["roles"])))
        inputs["roles"] = _as_list(live)
        return ReadResult(id_, dict(inputs), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_from(news)
        want = _as_map(inputs["roles"])
        managed = set(want) | set(_as_map(olds.get("roles")))
        self._apply(inputs["accountId"], want, self._live(inputs["accountId"], managed))
        return UpdateResult({**inputs, "roles": _as_list(want)})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        for ext in _as_map(props.get("roles")):
            self.client.roles.delete(props["accountId"], ext)


class RoleAssignment(CloudLinkResource, module="cloudlink", name="RoleAssignment"):
    PROVIDER = RoleAssignmentProvider
    roles: pulumi.Output[list]
