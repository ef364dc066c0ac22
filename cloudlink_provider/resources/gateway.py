"""The `Gateway` resource: a CloudLink Gateway associated with a customer account (gateway API).

Natural key: the serial number within the account; a lost create is found by
serial and adopted. Serial, type and owning account force replacement; the
name changes in place.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import Field

from ..client import Gateway as ApiGateway
from ..client import create_or_adopt
from ..customer.model import GatewaySpec
from ..customer.rules import GATEWAY_KINDS, GATEWAY_KINDS_BY_API
from ._base import CloudLinkProvider, CloudLinkResource


class GatewayInputs(GatewaySpec):
    accountId: str = Field(min_length=1)


def to_spec(gw: ApiGateway) -> dict[str, Any]:
    """The spec's gateway block for a live gateway (spec names, not API enums): the one API->spec
    mapping, used by `read`, `fleet import` and the fleet scan."""
    return {"serialNumber": gw.serialNumber, "type": GATEWAY_KINDS_BY_API.get(gw.type, gw.type), "name": gw.name}


class GatewayProvider(CloudLinkProvider):
    inputs_model = GatewayInputs
    to_spec = staticmethod(to_spec)
    replace_on = frozenset({"accountId", "serialNumber", "type"})

    @staticmethod
    def _outputs(inputs: dict[str, Any], gw: ApiGateway) -> dict[str, Any]:
        return {**inputs, "gatewayId": gw.gatewayId, "status": gw.status}

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_from(props)
        account_id = inputs["accountId"]
        api = self.client.gateways
        gw, adopted = create_or_adopt(
            lambda: api.find_by_serial(account_id, inputs["serialNumber"]),
            lambda: api.create(account_id, {"serialNumber": inputs["serialNumber"],
                                            "type": GATEWAY_KINDS[inputs["type"]], "name": inputs["name"]}))
        if adopted and gw.name != inputs["name"]:
            gw = api.update(account_id, gw.gatewayId, {"name": inputs["name"]})
        return CreateResult(gw.gatewayId, self._outputs(inputs, gw))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.inputs_from(props)
        gw = self.client.gateways.get(inputs["accountId"], id_)
        if gw is None:
            return ReadResult(None, {})
        inputs.update(to_spec(gw))
        return ReadResult(id_, self._outputs(inputs, gw), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_from(news)
        gw = self.client.gateways.update(inputs["accountId"], id_, {"name": inputs["name"]})
        return UpdateResult(self._outputs(inputs, gw))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client.gateways.delete(props["accountId"], id_)


class Gateway(CloudLinkResource, module="cloudlink", name="Gateway"):
    PROVIDER = GatewayProvider
    OUTPUTS = ("gatewayId", "status")
    gatewayId: pulumi.Output[str]
    status: pulumi.Output[str]
