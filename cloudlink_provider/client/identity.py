"""SSO identity providers (`/authentication/2017-09-01/identityProviders`), Mitel's shapes.

An account has at most one provider and its id is the accountId, so `put`
creates or updates it and a lost create is recovered by reading it back.
Requests carry `saml.certificates` as PEM text; responses list them as Base64
DER strings (compare with `cloudlink_provider.customer.saml.pem_certificates`).
`azure_saml` fills in what Azure AD and CloudLink tell each other. Knows no Pulumi.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from ..wire import AZURE_SAML_ENTITY_ID, AZURE_SAML_REPLY_URL
from ._paths import path
from ._session import Session, create_or_adopt
from .models import Resource


class SamlSettings(BaseModel):
    model_config = ConfigDict(extra="allow", hide_input_in_errors=True)
    issuerId: str
    serviceProviderIssuerId: str
    serviceProviderReplyUrl: str
    loginUrl: str
    logoutUrl: str | None = None
    certificates: list[str] = []


class IdentityProvider(Resource):
    identityProviderId: str | None = None
    accountId: str
    type: str | None = None
    active: bool = True
    saml: SamlSettings | None = None


def azure_saml(account_id: str, tenant_id: str, certificates_pem: str) -> dict[str, Any]:
    """The SAML settings of Azure AD single sign-on for one account (Azure's well-known URLs)."""
    return {"issuerId": f"https://sts.windows.net/{tenant_id}/",
            "serviceProviderIssuerId": AZURE_SAML_ENTITY_ID.format(account_id=account_id),
            "serviceProviderReplyUrl": AZURE_SAML_REPLY_URL.format(account_id=account_id),
            "loginUrl": f"https://login.microsoftonline.com/{tenant_id}/saml2",
            "logoutUrl": f"https://login.microsoftonline.com/{tenant_id}/saml2",
            "certificates": certificates_pem}


class IdentityApi:
    def __init__(self, session: Session):
        self._s = session

    @staticmethod
    def _path(account_id: str) -> str:
        return path("/identityProviders/{}", account_id)

    def get(self, account_id: str) -> IdentityProvider | None:
        return self._s.get_or_none("authentication", self._path(account_id), IdentityProvider)

    def create(self, account_id: str, saml: dict[str, Any], type_: str = "AZURE",
               active: bool = True) -> IdentityProvider:
        body = {"accountId": account_id, "type": type_, "active": active, "saml": saml}
        return self._s.json("authentication", "POST", "/identityProviders", json=body, model=IdentityProvider)

    def update(self, account_id: str, saml: dict[str, Any] | None = None, type_: str | None = None,
               active: bool | None = None) -> IdentityProvider:
        """Change some settings (partial body: only what is given is sent)."""
        body = {k: v for k, v in {"type": type_, "active": active, "saml": saml}.items() if v is not None}
        return self._s.json("authentication", "PUT", self._path(account_id), json=body, model=IdentityProvider)

    def put(self, account_id: str, saml: dict[str, Any], type_: str = "AZURE",
            active: bool = True) -> IdentityProvider:
        """Make the account's provider exactly this: create it, or update the one there (also one created
        meanwhile, or by a create whose answer was lost)."""
        provider, adopted = create_or_adopt(lambda: self.get(account_id),
                                            lambda: self.create(account_id, saml, type_, active))
        return self.update(account_id, saml, type_, active) if adopted else provider

    def delete(self, account_id: str) -> bool:
        """Delete; False when there was none."""
        return self._s.delete("authentication", self._path(account_id))
