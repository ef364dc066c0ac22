"""Rules tables shared by the provider (validation at preview) and the emulator (enforcement).

One business rule lives here once. Values marked [brief]/[doc] come from Mitel;
the rest are our design choices, kept in this table so they are easy to change
when the real API is known.
"""

from __future__ import annotations

from dataclasses import dataclass

API_VERSION = "2017-09-01"

# Services the client and the emulator know, each with its own base URL.
SERVICES = ("authentication", "admin", "gateway", "integrations", "scim")

ROLES_BY_RANK = ("GUEST", "USER", "ACCOUNT_ADMIN", "PARTNER_ADMIN", "GLOBAL_ADMIN")

ACCESS_TOKEN_TTL_S = 3600  # [doc] 1 h
REFRESH_TOKEN_TTL_S = 14 * 24 * 3600  # [doc] 14 days


@dataclass(frozen=True)
class PbxModel:
    api_type: str  # the backend's enum value
    title: str
    max_users: int  # [brief] capacity table
    max_bhcc: int
    role: str | None  # CloudLink role PBX users may hold on this PBX [brief]


# Keyed by the spec's kebab-case name.
PBX_MODELS: dict[str, PbxModel] = {
    "mivoice-office-400": PbxModel("MIVOICE_OFFICE_400", "MiVoice Office 400", 800, 4200, None),
    "mivoice-5000": PbxModel("MIVOICE_5000", "MiVoice 5000", 5000, 16000, "CTI"),
    "mx-one": PbxModel("MX_ONE", "MiVoice MX-ONE", 5000, 15000, "USER"),
    "mivoice-business": PbxModel("MIVOICE_BUSINESS", "MiVoice Business", 2500, 12000, None),
}
PBX_BY_API_TYPE = {m.api_type: m for m in PBX_MODELS.values()}
PBX_KINDS_BY_API = {m.api_type: kind for kind, m in PBX_MODELS.items()}  # API enum -> spec name

MAX_ROLE_HOLDERS = 1000  # [brief] per account

# Two-way Teams presence only with MiVoice Business [doc].
BIDIRECTIONAL_TEAMS_PBX = "MIVOICE_BUSINESS"

GATEWAY_TYPES = {
    "appliance": "APPLIANCE",
    "virtual": "VIRTUAL",
    "embedded-smbc": "EMBEDDED_SMBC",
    "mbg": "MBG",
}
GATEWAY_TYPES_BY_API = {v: k for k, v in GATEWAY_TYPES.items()}
GATEWAY_STATUSES = ("ASSOCIATED", "ONLINE", "OFFLINE", "UPDATING", "UPDATE_ERROR")

# A PBX link starts CONNECTING (again after a change of host/port/credentials) and ends in one of the others.
PBX_LINK_STATUSES = ("CONNECTING", "CONNECTED", "FAILED")

TEAMS_MODES = {"unidirectional": "UNIDIRECTIONAL", "bidirectional": "BIDIRECTIONAL"}
TEAMS_MODES_BY_API = {v: k for k, v in TEAMS_MODES.items()}
TEAMS_TYPE = "MS_TEAMS"
# Admin consent moves an integration from CONSENT_PENDING to ENABLED or FAILED; a new clientId needs consent again.
TEAMS_STATUSES = ("CONSENT_PENDING", "ENABLED", "FAILED")

# [brief] Mitel Assistant readiness: (minimum MiCollab version, what needs it).
MICOLLAB_READINESS = (
    ((9, 6), "MiCollab PC client 9.6+ offers the telephony-only profile"),
    ((9, 7, 10), "on iOS, Mitel Assistant launches MiCollab through a URI that needs MiCollab 9.7.10+"),
)
MICOLLAB_CALL_HISTORY_MIVB = ((9, 7), "with MiVoice Business, calling from Call History needs MiCollab 9.7+")


def role_allowed(pbx_api_type: str) -> str | None:
    """The only CloudLink role PBX users may hold behind this PBX type, or None."""
    model = PBX_BY_API_TYPE.get(pbx_api_type)
    return model.role if model else None


# --- Users, SSO and Azure AD Sync (SCIM) -------------------------------------------------
USER_ROLES = ("USER", "ACCOUNT_ADMIN")  # [doc] a user's role changes only between these
USER_UNIQUE_FIELDS = ("email", "loginId", "extension")  # [doc] unique within an account
SCIM_UNIQUE_FIELDS = ("email", "loginId", "extension", "mobile", "phone")  # [doc] Azure AD Sync adds these
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EXTENSION_PATTERN = r"^[0-9*#]{1,15}$"
PHONE_PATTERN = r"^\+?[0-9][0-9 ()./-]{1,30}$"

# [doc] SAML identity provider (Mitel's identityProviderPostRequest): required fields, URL fields.
SAML_REQUIRED_FIELDS = ("issuerId", "serviceProviderIssuerId", "serviceProviderReplyUrl", "loginUrl", "certificates")
SAML_URL_FIELDS = ("serviceProviderReplyUrl", "loginUrl", "logoutUrl")
SAML_FIELDS = (*SAML_REQUIRED_FIELDS, "logoutUrl")
# [doc] What Azure AD is told about CloudLink: its entity id, and the assertion consumer
# service (the Authentication API's `POST /saml2/{accountId}/cs`).
AZURE_SAML_ENTITY_ID = "https://authentication.api.mitel.io/" + API_VERSION + "/saml2/{account_id}"
AZURE_SAML_REPLY_URL = AZURE_SAML_ENTITY_ID + "/cs"
