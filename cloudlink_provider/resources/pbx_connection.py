"""The `PbxConnection` resource: the link from a gateway to the customer's PBX (gateway API).

One link per gateway, so a replacement (new PBX type, another gateway) deletes
before it creates, and a lost create is adopted by reading the gateway's single
link. The password is write-only: CloudLink never returns it, so it cannot
drift-check; it is a Pulumi secret in inputs and outputs. `create` and `update`
wait until the link is CONNECTED, so roles and Teams can rely on it.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import Field

from ..client import PbxLink
from ..client import create_or_adopt
from ..customer.model import PbxSpec
from ..customer.rules import PBX_KINDS_BY_API, PBX_MODELS
from ._base import CloudLinkProvider, CloudLinkResource

CONNECT_TIMEOUT_S = 300.0
SENT = ("host", "port", "username", "password")  # what the API takes besides the type


class PbxConnectionInputs(PbxSpec):
    accountId: str = Field(min_length=1)
    gatewayId: str = Field(min_length=1)
    password: str = Field(min_length=1)


def to_spec(link: PbxLink) -> dict[str, Any]:
    """The spec's pbx block for a live PBX link (no password: CloudLink never returns it): the one
    API->spec mapping, used by `read`, `fleet import` and the fleet scan."""
    return {"type": PBX_KINDS_BY_API.get(link.pbxType, link.pbxType), "host": link.host, "port": link.port,
            "username": link.username}


class PbxConnectionProvider(CloudLinkProvider):
    inputs_model = PbxConnectionInputs
    to_spec = staticmethod(to_spec)
    replace_on = frozenset({"accountId", "gatewayId", "type"})
    delete_before_replace = True
    write_only = ("password",)

    @staticmethod
    def _outputs(inputs: dict[str, Any], link: PbxLink) -> dict[str, Any]:
        return {**inputs, "status": link.status}

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_from(props)
        account_id, gateway_id = inputs["accountId"], inputs["gatewayId"]
        api = self.client.gateways
        fields = {"pbxType": PBX_MODELS[inputs["type"]].api_type, **{k: inputs[k] for k in SENT}}
        link, adopted = create_or_adopt(lambda: api.get_pbx_link(account_id, gateway_id),
                                        lambda: api.create_pbx_link(account_id, gateway_id, fields))
        if adopted:
            if link.pbxType != fields["pbxType"]:
                raise ValueError(f"gateway {gateway_id} already links a {link.pbxType} PBX; "
                                 f"the spec says {fields['pbxType']}: remove that link first")
            api.update_pbx_link(account_id, gateway_id, {k: inputs[k] for k in SENT})
        link = api.wait_connected(account_id, gateway_id, CONNECT_TIMEOUT_S)
        return CreateResult(f"{account_id}/{gateway_id}", self._outputs(inputs, link))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.inputs_from(props)
        link = self.client.gateways.get_pbx_link(inputs["accountId"], inputs["gatewayId"])
        if link is None:
            return ReadResult(None, {})
        inputs.update(to_spec(link))
        return ReadResult(id_, self._outputs(inputs, link), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_from(news)
        api = self.client.gateways
        changed = {k: inputs[k] for k in SENT if k in self.changed_fields(olds, news)}
        if changed:
            api.update_pbx_link(inputs["accountId"], inputs["gatewayId"], changed)
        link = api.wait_connected(inputs["accountId"], inputs["gatewayId"], CONNECT_TIMEOUT_S)
        return UpdateResult(self._outputs(inputs, link))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client.gateways.delete_pbx_link(props["accountId"], props["gatewayId"])


class PbxConnection(CloudLinkResource, module="cloudlink", name="PbxConnection"):
    PROVIDER = PbxConnectionProvider
    OUTPUTS = ("status",)
    SECRET_INPUTS = ("password",)
    status: pulumi.Output[str]
