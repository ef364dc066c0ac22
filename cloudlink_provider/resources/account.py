"""The `Account` resource: a customer account under the partner (Admin API).

Natural key: the account name under the partner. A create whose response was
lost is found by name on the next attempt and adopted, never duplicated;
`adoptAccountId` brings an existing customer under management explicitly.
Nothing forces replacement: every managed field changes in place.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult

from ..client import Account as ApiAccount
from ..client import create_or_adopt
from ..customer.model import AccountSpec
from ._base import CloudLinkProvider, CloudLinkResource

MANAGED = ("name", "domain", "languageCode", "active")  # fields we send to the API


def to_spec(account: ApiAccount) -> dict[str, Any]:
    """The spec's account fields for a live account: the one API->spec mapping, declared as the
    provider's `to_spec`, used by `read`, `fleet import` and the fleet scan. Values CloudLink does not
    hold are None."""
    return {"name": account.name, "domain": account.domain, "languageCode": account.languageCode,
            "active": account.active}


class AccountInputs(AccountSpec):
    """The resource takes the spec's account block as it is."""


class AccountProvider(CloudLinkProvider):
    inputs_model = AccountInputs
    to_spec = staticmethod(to_spec)

    def _outputs(self, inputs: dict[str, Any], account: ApiAccount) -> dict[str, Any]:
        return {**inputs, "accountId": account.accountId, "accountNumber": account.accountNumber,
                "partnerId": account.partnerId}

    @staticmethod
    def _fields(inputs: dict[str, Any]) -> dict[str, Any]:
        return {k: inputs[k] for k in MANAGED if inputs.get(k) is not None}

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_from(props)
        api = self.client.accounts
        if inputs.get("adoptAccountId") is not None:  # check rejected a blank one: never "not given"
            account = api.get(inputs["adoptAccountId"])
            if account is None:
                raise ValueError(f"adoptAccountId {inputs['adoptAccountId']}: no such customer account is visible "
                                 "to these credentials")
        else:
            account, _ = create_or_adopt(lambda: api.find_by_name(inputs["name"]),
                                         lambda: api.create(self._fields(inputs)))
        drifted = self._drifted(account, inputs)  # only an adopted account can differ from the spec
        if drifted:
            account = api.update(account.accountId, drifted)
        return CreateResult(account.accountId, self._outputs(inputs, account))

    def _drifted(self, account: ApiAccount, inputs: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in self._fields(inputs).items() if getattr(account, k) != v}

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        account = self.client.accounts.get(id_)
        if account is None:
            return ReadResult(None, {})
        inputs = self.inputs_from(props)
        # Managed fields take the live value; unmanaged ones (None in the spec) stay unmanaged.
        live = to_spec(account)
        inputs.update({k: live[k] for k in MANAGED if inputs.get(k) is not None})
        return ReadResult(id_, self._outputs(inputs, account), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_from(news)
        changed = {k: inputs[k] for k in MANAGED if k in self.changed_fields(olds, news) and inputs.get(k) is not None}
        account = self.client.accounts.update(id_, changed) if changed else self.client.accounts.get(id_)
        return UpdateResult(self._outputs(inputs, account))

    def delete(self, id_: str, _props: dict[str, Any]) -> None:
        self.client.accounts.delete(id_)


class Account(CloudLinkResource, module="cloudlink", name="Account"):
    PROVIDER = AccountProvider
    OUTPUTS = ("accountId", "accountNumber", "partnerId")
    accountId: pulumi.Output[str]
    accountNumber: pulumi.Output[str]
    partnerId: pulumi.Output[str]
