"""The `SsoScimIntegration` resource: Azure AD single sign-on, and optionally Azure AD Sync (SCIM).

SSO is the account's identity provider on the Authentication API; its id is the
account id, so writing it is idempotent and a lost create is simply written
again. SCIM yields a base URL and a token CloudLink shows only once: the token
is a secret output, and whenever we cannot know the live token (sync switched
back on, or enabled by someone else) we rotate it so the output is usable.
Everything changes in place; only another account forces replacement.

Besides the spec's fields, three properties are compared for drift (the plan
always wants them True): `active` (the identity provider is switched on),
`cloudLinkServiceProvider` (its service-provider entity id and reply URL are
CloudLink's own for this account) and `scimTokenCurrent` (the SCIM token this
stack holds is the live one: CloudLink shows `tokenCreatedOn`, so a rotation
in the console is seen, and `up` rotates again to hold a working token).
A state written before these existed counts them as True.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pulumi
from pulumi.dynamic import CreateResult, ReadResult, UpdateResult
from pydantic import Field

from ..client import AzureSync, IdentityProvider
from ..customer.model import SsoSpec
from ..wire import AZURE_SAML_ENTITY_ID, AZURE_SAML_REPLY_URL
from ..customer.saml import pem_certificates, pem_text
from ._base import CloudLinkProvider, CloudLinkResource

SAML_INPUTS = ("issuerId", "loginUrl", "logoutUrl", "certificate")
# Compared for drift beyond the spec's fields; what the plan always asks for (and what an older state means).
WANTED = {"active": True, "cloudLinkServiceProvider": True, "scimTokenCurrent": True}
IDP_INPUTS = (*SAML_INPUTS, "provider", "active", "cloudLinkServiceProvider")  # a change re-writes the provider


class SsoScimInputs(SsoSpec):
    accountId: str = Field(min_length=1)
    active: bool = True
    cloudLinkServiceProvider: bool = True
    scimTokenCurrent: bool = True


SSO_PROVIDERS_BY_API = {"AZURE": "azure-ad"}  # the spec's `provider` per API identity-provider type


class LiveSso(NamedTuple):
    """What CloudLink holds for an account's single sign-on: its identity provider and Azure AD Sync."""
    identity: IdentityProvider
    sync: AzureSync | None = None


def to_spec(live: LiveSso) -> dict[str, Any]:
    """The sso block for a live identity provider and Azure AD Sync: the one API->spec mapping, declared as
    the provider's `to_spec`, used by `read`, `fleet import` and the fleet scan. Only the spec's fields
    (`logoutUrl` None when CloudLink has none; the certificate as PEM text); what `read` compares beyond
    them comes from `compared`."""
    saml = live.identity.saml
    assert saml is not None, "an identity provider without SAML settings is not SSO"
    return {"provider": SSO_PROVIDERS_BY_API.get(live.identity.type or "AZURE", live.identity.type),
            "issuerId": saml.issuerId, "loginUrl": saml.loginUrl, "logoutUrl": saml.logoutUrl or None,
            "certificate": pem_text(list(saml.certificates)), "scim": bool(live.sync and live.sync.enabled)}


def compared(live: LiveSso, token_created_on: str | None = None) -> dict[str, bool]:
    """What `read` compares beyond the spec's fields (the keys of `WANTED`, which the plan always asks for):
    `scimTokenCurrent` is False only when sync is on and its token is not the one created at
    `token_created_on` (the one a stack holds; None: cannot tell, so True)."""
    idp, sync = live.identity, live.sync
    saml = idp.saml
    assert saml is not None, "an identity provider without SAML settings is not SSO"
    own = (AZURE_SAML_ENTITY_ID.format(account_id=idp.accountId), AZURE_SAML_REPLY_URL.format(account_id=idp.accountId))
    syncing = bool(sync and sync.enabled)
    return {"active": idp.active,
            "cloudLinkServiceProvider": (saml.serviceProviderIssuerId, saml.serviceProviderReplyUrl) == own,
            "scimTokenCurrent": not (syncing and token_created_on is not None and sync is not None
                                     and sync.tokenCreatedOn != token_created_on)}


def _saml(inputs: dict[str, Any]) -> dict[str, Any]:
    account_id = inputs["accountId"]
    saml = {"issuerId": inputs["issuerId"],
            "serviceProviderIssuerId": AZURE_SAML_ENTITY_ID.format(account_id=account_id),
            "serviceProviderReplyUrl": AZURE_SAML_REPLY_URL.format(account_id=account_id),
            "loginUrl": inputs["loginUrl"], "certificates": inputs["certificate"]}
    if inputs.get("logoutUrl"):
        saml["logoutUrl"] = inputs["logoutUrl"]
    return saml


def _is_live(idp: Any, inputs: dict[str, Any]) -> bool:
    """Whether the account's identity provider already is exactly what `_saml(inputs)` would write."""
    if idp is None or idp.saml is None or not idp.active or idp.type != "AZURE":
        return False
    want, saml = _saml(inputs), idp.saml
    return (all(getattr(saml, k) == want[k] for k in ("issuerId", "serviceProviderIssuerId",
                                                       "serviceProviderReplyUrl", "loginUrl"))
            and (saml.logoutUrl or None) == (want.get("logoutUrl") or None)
            and list(saml.certificates) == pem_certificates(want["certificates"]))


class SsoScimProvider(CloudLinkProvider):
    inputs_model = SsoScimInputs
    to_spec = staticmethod(to_spec)
    replace_on = frozenset({"accountId"})

    @staticmethod
    def _outputs(inputs: dict[str, Any], sync: Any, token: str | None,
                 token_created_on: str | None = None) -> dict[str, Any]:
        account_id = inputs["accountId"]
        return {**inputs, "serviceProviderEntityId": AZURE_SAML_ENTITY_ID.format(account_id=account_id),
                "replyUrl": AZURE_SAML_REPLY_URL.format(account_id=account_id),
                "scimBaseUrl": sync.scimBaseUrl if sync else None, "scimToken": token if sync else None,
                "scimTokenCreatedOn": token_created_on if sync else None}

    def changed_fields(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        # a state written before the WANTED properties existed means them True
        def known(props: dict[str, Any]) -> dict[str, Any]:
            return {**WANTED, **{k: v for k, v in props.items() if v is not None}}
        return super().changed_fields(known(olds), known(news))

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_from(props)
        account_id = inputs["accountId"]
        if not _is_live(self.client.identity.get(account_id), inputs):  # adopting one as it is: no write
            self.client.identity.put(account_id, _saml(inputs))
        scim = self.client.scim
        live_sync = scim.get(account_id)
        if inputs["scim"]:
            # Adopting sync that is on: its token cannot be read back, so rotate it to know it.
            sync = scim.rotate_token(account_id) if live_sync and live_sync.enabled \
                else scim.enable_or_rotate(account_id)
        else:
            sync = None
            if live_sync:
                scim.disable(account_id)  # adopting an account where someone switched it on
        return CreateResult(account_id, self._outputs(inputs, sync, sync.token if sync else None,
                                                      sync.tokenCreatedOn if sync else None))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        # what an earlier refresh recorded as live (another provider type, False) is not the spec's to judge
        inputs = self.inputs_from({**props, "provider": "azure-ad", **WANTED})
        idp = self.client.identity.get(inputs["accountId"])
        if idp is None or idp.saml is None:
            return ReadResult(None, {})
        sync = self.client.scim.get(inputs["accountId"])
        held = props.get("scimTokenCreatedOn") if props.get("scimToken") else None
        if held is None and sync and sync.enabled and props.get("scimToken"):
            held = sync.tokenCreatedOn  # a state from before tokenCreatedOn was recorded: take today's as ours
        live = {**to_spec(LiveSso(idp, sync)), **compared(LiveSso(idp, sync), held)}
        same_certs = pem_certificates(inputs["certificate"]) == list(idp.saml.certificates)
        inputs.update({k: live[k] for k in ("provider", "issuerId", "loginUrl", "logoutUrl", "scim", *WANTED)})
        if not same_certs:
            inputs["certificate"] = live["certificate"]
        return ReadResult(id_, self._outputs(inputs, sync, props.get("scimToken"), held), inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        inputs = self.inputs_from(news)
        account_id = inputs["accountId"]
        changed = self.changed_fields(olds, news)
        if any(f in changed for f in IDP_INPUTS):
            self.client.identity.put(account_id, _saml(inputs))
        token, created_on = olds.get("scimToken"), olds.get("scimTokenCreatedOn")
        if inputs["scim"] and ("scim" in changed or "scimTokenCurrent" in changed or not token):
            sync = self.client.scim.enable_or_rotate(account_id)  # the one we held is void: get a working one
            token, created_on = sync.token, sync.tokenCreatedOn
        elif inputs["scim"]:
            sync = self.client.scim.get(account_id) or self.client.scim.enable_or_rotate(account_id)
            token = sync.token or token
        else:
            if "scim" in changed:
                self.client.scim.disable(account_id)
            sync = None
        return UpdateResult(self._outputs(inputs, sync, token, created_on))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client.scim.disable(props["accountId"])
        self.client.identity.delete(props["accountId"])


class SsoScimIntegration(CloudLinkResource, module="cloudlink", name="SsoScimIntegration"):
    PROVIDER = SsoScimProvider
    OUTPUTS = ("serviceProviderEntityId", "replyUrl", "scimBaseUrl", "scimToken", "scimTokenCreatedOn")
    SECRET_OUTPUTS = ("scimToken",)
    serviceProviderEntityId: pulumi.Output[str]
    replyUrl: pulumi.Output[str]
    scimBaseUrl: pulumi.Output[str]
    scimToken: pulumi.Output[str]
