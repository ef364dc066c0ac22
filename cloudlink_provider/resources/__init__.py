"""Pulumi dynamic resources for CloudLink, one module per resource, and their public face.

Each module holds, in order: its inputs model (and the fields that force
replacement), `to_spec` (the one mapping from the live API object the client
returns to that resource's spec fields, declared as its provider's `to_spec`:
`read`, `fleet import` and the fleet scan all call it), its provider (check,
diff, create, read, update, delete) and the `Resource` subclass with a fixed
type name. Providers talk to CloudLink only through `cloudlink_provider.client`;
they never import the emulator.

What other packages use is exported here (`__all__`, guarded by
tests/unit/resources/test_public_api.py): the seven resource kinds and their
registry `RESOURCE_TYPES` (type token -> `Resource` class; its `PROVIDER` holds
the kind's `to_spec`), the provider base and its one-line failure, the reading
of credentials from a stack config and the shared client. Nothing outside this
package imports `_base`.
"""

from ._base import (CLIENT_ID_KEY, CLIENT_SECRET_KEY, DEBUG_ENV, ENDPOINT_KEY, CloudLinkProvider, CloudLinkRefused,
                    CloudLinkResource, credentials_from_config, debugging, is_unknown, shared_client)
from .account import Account
from .gateway import Gateway
from .pbx_connection import PbxConnection
from .role_assignment import RoleAssignment, roles_input
from .sso_scim_integration import WANTED as SSO_WANTED
from .sso_scim_integration import LiveSso, SsoScimIntegration
from .teams_integration import TeamsIntegration
from .user_onboarding import UserOnboarding, users_input

# The registry of resource kinds: type token (`cloudlink:Account`) -> Resource class, in registration order.
RESOURCE_TYPES: dict[str, type[CloudLinkResource]] = {
    cls.token(): cls for cls in (Account, Gateway, PbxConnection, RoleAssignment, TeamsIntegration,
                                 SsoScimIntegration, UserOnboarding)}

__all__ = [
    "Account",
    "CLIENT_ID_KEY",
    "CLIENT_SECRET_KEY",
    "CloudLinkProvider",
    "CloudLinkRefused",
    "CloudLinkResource",
    "DEBUG_ENV",
    "ENDPOINT_KEY",
    "Gateway",
    "LiveSso",
    "PbxConnection",
    "RESOURCE_TYPES",
    "RoleAssignment",
    "SSO_WANTED",
    "SsoScimIntegration",
    "TeamsIntegration",
    "UserOnboarding",
    "credentials_from_config",
    "debugging",
    "is_unknown",
    "roles_input",
    "shared_client",
    "users_input",
]
