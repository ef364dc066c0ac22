"""The `TeamsIntegration` resource: Microsoft Teams presence for a customer account (integrations API).

One integration per account, so a replacement (new tenant) deletes before it
creates and a lost create is adopted by looking up the account's integration.
The client secret is write-only (a Pulumi secret; it cannot drift-check).
The integration stays CONSENT_PENDING until an Azure AD admin grants consent
at `consentUrl`; that is the customer's step, so it is an output, not an error.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import Field

from ..client import TeamsIntegration as ApiTeams
from ..client import create_or_adopt
from ..customer.model import TeamsSpec
from ..customer.rules import TEAMS_MODE_KINDS, TEAMS_MODE_KINDS_BY_API
from ._base import CloudLinkProvider, CloudLinkResource

SENT = ("clientId", "clientSecret", "mode")


class TeamsIntegrationInputs(TeamsSpec):
    accountId: str = Field(min_length=1)
    pbxConnectionId: str = Field(min_length=1)  # Teams needs a connected PBX: ordering only
    clientSecret: str = Field(min_length=1)


def to_spec(it: ApiTeams) -> dict[str, Any]:
    """The spec's teams block for a live integration (GUIDs lower-case, spec names for the mode): the one
    API->spec mapping, used by `read`, `fleet import` and the fleet scan."""
    return {"tenantId": it.tenantId.lower(), "clientId": it.clientId.lower(),
            "mode": TEAMS_MODE_KINDS_BY_API.get(it.mode, it.mode)}


def _api_fields(inputs: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    fields = {k: inputs[k] for k in keys}
    if "mode" in fields:
        fields["mode"] = TEAMS_MODE_KINDS[fields["mode"]]
    return fields


class TeamsIntegrationProvider(CloudLinkProvider):
    inputs_model = TeamsIntegrationInputs
    to_spec = staticmethod(to_spec)
    replace_on = frozenset({"accountId", "tenantId"})
    delete_before_replace = True
    write_only = ("clientSecret",)

    @staticmethod
    def _outputs(inputs: dict[str, Any], it: ApiTeams) -> dict[str, Any]:
        return {**inputs, "integrationId": it.integrationId, "status": it.status, "consentUrl": it.consentUrl}

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_from(props)
        account_id = inputs["accountId"]
        api = self.client.integrations
        it, adopted = create_or_adopt(
            lambda: api.find_teams(account_id),
            lambda: api.create(account_id, {"tenantId": inputs["tenantId"], **_api_fields(inputs, SENT)}))
        if adopted:
            if it.tenantId.lower() != inputs["tenantId"]:
                raise ValueError(f"account {account_id} already has a Teams integration for tenant {it.tenantId}; "
                                 f"the spec says {inputs['tenantId']}: remove it first")
            it = api.update(account_id, it.integrationId, _api_fields(inputs, SENT))
        return CreateResult(it.integrationId, self._outputs(inputs, it))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.inputs_from(props)
        it = self.client.integrations.get(inputs["accountId"], id_)
        if it is None:
            return ReadResult(None, {})
        inputs.update(to_spec(it))
        return ReadResult(id_, self._outputs(inputs, it), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_from(news)
        changed = tuple(k for k in SENT if k in self.changed_fields(olds, news))
        api = self.client.integrations
        it = api.update(inputs["accountId"], id_, _api_fields(inputs, changed)) if changed \
            else api.get(inputs["accountId"], id_)
        return UpdateResult(self._outputs(inputs, it))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client.integrations.delete(props["accountId"], id_)


class TeamsIntegration(CloudLinkResource, module="cloudlink", name="TeamsIntegration"):
    PROVIDER = TeamsIntegrationProvider
    OUTPUTS = ("integrationId", "status", "consentUrl")
    SECRET_INPUTS = ("clientSecret",)
    integrationId: pulumi.Output[str]
    status: pulumi.Output[str]
    consentUrl: pulumi.Output[str]
