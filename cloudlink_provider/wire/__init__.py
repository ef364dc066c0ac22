"""Wire facts: what CloudLink's APIs themselves define, written once for everyone who speaks them.

The ground floor of the house. The API version and services, the enumerations the
API accepts and returns, the limits and pairings the backend enforces, the SAML
fields and URL templates. The client, the resources and the customer model import
these; so does the emulator, which plays the same wire (an import-linter contract
allows the emulator exactly this package and nothing else of the provider). It must
not hold customer-planning rules (capacities, readiness advisories): those live in
`cloudlink_provider.customer.rules`, and the emulator never sees them, so it cannot
share a validator bug with the provider. No I/O, no imports from the project.

Marks: [doc] Mitel's documentation or published API, [brief] the deployment guide,
unmarked values are our design for APIs Mitel does not publish.
"""

from __future__ import annotations

API_VERSION = "2017-09-01"  # [doc] every service's path prefix

# Services the client and the emulator know, each with its own base URL.
SERVICES = ("authentication", "admin", "gateway", "integrations", "scim")

ROLES_BY_RANK = ("GUEST", "USER", "ACCOUNT_ADMIN", "PARTNER_ADMIN", "GLOBAL_ADMIN")  # [doc]

ACCESS_TOKEN_TTL_S = 3600  # [doc] 1 h
REFRESH_TOKEN_TTL_S = 14 * 24 * 3600  # [doc] 14 days

# --- Gateways and PBX links ---------------------------------------------------------------
GATEWAY_TYPES = ("APPLIANCE", "VIRTUAL", "EMBEDDED_SMBC", "MBG")
GATEWAY_STATUSES = ("ASSOCIATED", "ONLINE", "OFFLINE", "UPDATING", "UPDATE_ERROR")

PBX_TYPES = ("MIVOICE_OFFICE_400", "MIVOICE_5000", "MX_ONE", "MIVOICE_BUSINESS")
# A PBX link starts CONNECTING (again after a change of host/port/credentials) and ends in one of the others.
PBX_LINK_STATUSES = ("CONNECTING", "CONNECTED", "FAILED")

# [brief] The only CloudLink role PBX users may hold, per PBX type (none on the others).
PBX_USER_ROLES = {"MIVOICE_5000": "CTI", "MX_ONE": "USER"}
MAX_ROLE_HOLDERS = 1000  # [brief] per account


def role_allowed(pbx_type: str) -> str | None:
    """The only CloudLink role PBX users may hold behind this PBX type, or None."""
    return PBX_USER_ROLES.get(pbx_type)


# --- Microsoft Teams ----------------------------------------------------------------------
TEAMS_TYPE = "MS_TEAMS"
TEAMS_MODES = ("UNIDIRECTIONAL", "BIDIRECTIONAL")
BIDIRECTIONAL_TEAMS_PBX = "MIVOICE_BUSINESS"  # [doc] two-way presence only with MiVoice Business
# Admin consent moves an integration from CONSENT_PENDING to ENABLED or FAILED; a new clientId needs consent again.
TEAMS_STATUSES = ("CONSENT_PENDING", "ENABLED", "FAILED")

# --- Users, SSO and Azure AD Sync (SCIM) --------------------------------------------------
USER_ROLES = ("USER", "ACCOUNT_ADMIN")  # [doc] a user's role changes only between these
USER_UNIQUE_FIELDS = ("email", "loginId", "extension")  # [doc] unique within an account
SCIM_UNIQUE_FIELDS = ("email", "loginId", "extension", "mobile", "phone")  # [doc] Azure AD Sync adds these
# Ours: the CloudLink applications a partner deploys to a customer's users (a user's `applications`).
CLOUDLINK_APPLICATIONS = ("MITEL_ASSISTANT", "MITEL_ONE")
USER_SOURCES = ("API", "SCIM")  # [doc] `source`: made through the Admin API, or synced by Azure AD Sync
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
