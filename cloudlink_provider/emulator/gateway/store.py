"""Gateway API state and rules: gateways, their PBX link, the PBX directory and PBX roles.

Owns every rule of the gateway service: a serial belongs to at most one account
across all partners (409 GatewayAlreadyAssociated, never naming the other
account); serialNumber, type and pbxType are immutable; one PBX link per gateway;
the link's connection lifecycle; the directory a connected PBX exposes; the role
rules (role by pbxType, at most MAX_ROLE_HOLDERS per account). Knows no route
and no HTTP, and imports nothing from the provider side.

Decisions (the provider relies on them):
- A link is CONNECTING after create and after a real change of host, port,
  username or password (re-sending the same password is no change); it becomes
  CONNECTED once `settings.pbx_connect_s` has passed (the smaller of its value
  at the start and now, so tests can hurry a pending link by setting 0), or
  FAILED for a host under `.invalid`. Computed lazily from a stored timestamp:
  no background threads.
- Deleting a PBX link removes the roles assigned through it (they mean nothing
  without the PBX and would hold capacity). Roles survive a reconnect.
- Reading or deleting roles needs no connected PBX, so cleanup never blocks.
- With several connected links, the account's directory is their union; an
  extension belongs to the oldest connected link listing it, whose pbxType
  decides the allowed role.
Every document is stored with its owning account, so deleting the account cascades.
"""

from __future__ import annotations

import time
from typing import Any

from ...wire import GATEWAY_STATUSES, GATEWAY_TYPES, MAX_ROLE_HOLDERS, PBX_TYPES, role_allowed
from ..admin.store import AccountStore
from ..common import Caller, Context, check_if_match, href, new_id, stamp_modified, stamp_new
from ..errors import (ConditionalFailed, GatewayAlreadyAssociated, GatewayHasPbxLink, NotFound, PbxLinkExists,
                     PbxNotConnected, PbxUserNotFound, RoleCapacityExceeded, RoleNotAllowed, ValidationFailed)
from ..fields import check_fields, one_of, secret_hash, text

GATEWAY_SERVER_SET = {"gatewayId", "accountId", "status"}
LINK_WRITABLE = {"host", "port", "username", "password"}
LINK_SERVER_SET = {"gatewayId", "accountId", "status"}
ROLE_SERVER_SET = {"accountId", "extension", "gatewayId", "name"}
DEFAULT_EXTENSIONS = range(2000, 3500)  # 1500 users, "2000".."3499"
FAILING_HOST_SUFFIX = ".invalid"  # RFC 2606: never resolves, so the link fails
SYSTEM = Caller("system", "", "GLOBAL_ADMIN")


def _gateway_href(account_id: str, gateway_id: str) -> str:
    return href("gateway", f"/accounts/{account_id}/gateways/{gateway_id}")


def _validate_link(body: dict[str, Any], creating: bool) -> None:
    for key in ("host", "username", "password"):
        text(body, key, required=creating)
    if creating or "port" in body:
        port = body.get("port")
        if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
            raise ValidationFailed("port is required and must be an integer from 1 to 65535")


def default_directory(host: str) -> list[dict[str, str]]:
    return [{"extension": str(n), "name": f"User {n}", "email": f"user{n}@{host}"} for n in DEFAULT_EXTENSIONS]


class GatewayStore:
    def __init__(self, ctx: Context, accounts: AccountStore):
        self.ctx, self.db, self.accounts = ctx, ctx.db, accounts

    # --- gateways ----------------------------------------------------------------------------
    def create_gateway(self, caller: Caller, account_id: str, body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction():
            self.accounts.require_customer(caller, account_id)
            check_fields(body, writable={"serialNumber", "type", "name"}, server_set=GATEWAY_SERVER_SET)
            serial, name = text(body, "serialNumber"), text(body, "name")
            gateway_type = one_of(body, "type", set(GATEWAY_TYPES))
            holders = self.db.select("gateway", None, "json_extract(data, '$.serialNumber') = :serial",
                                     {"serial": serial})
            holder = holders[0] if holders else None
            if holder is not None:
                if holder["accountId"] == account_id:
                    raise GatewayAlreadyAssociated(f"gateway {serial} is already associated with this account",
                                                   labels=[holder["gatewayId"]])
                # Another account (maybe another partner's): say so without saying which.
                raise GatewayAlreadyAssociated(f"gateway {serial} is already associated with another account")
            gateway_id = new_id()
            doc = {"gatewayId": gateway_id, "accountId": account_id, "serialNumber": serial,
                   "type": gateway_type, "name": name, "status": "ASSOCIATED"}
            stamp_new(doc, caller, _gateway_href(account_id, gateway_id))
            return self.db.put("gateway", gateway_id, doc, account_id)

    def list_gateways(self, caller: Caller, account_id: str) -> list[dict[str, Any]]:
        self.accounts.require_customer(caller, account_id)
        return self.db.list("gateway", account_id)

    def get_gateway(self, caller: Caller, account_id: str, gateway_id: str) -> dict[str, Any]:
        self.accounts.require_customer(caller, account_id)
        doc = self.db.get("gateway", gateway_id)
        if doc is None or doc["accountId"] != account_id:
            raise NotFound(f"gateway {gateway_id} was not found")
        return doc

    def update_gateway(self, caller: Caller, account_id: str, gateway_id: str, body: dict[str, Any],
                       if_match: str | None = None) -> dict[str, Any]:
        with self.db.transaction():
            doc = self.get_gateway(caller, account_id, gateway_id)
            check_if_match(doc, if_match)
            check_fields(body, writable={"name"}, immutable={"serialNumber", "type"},
                         server_set=GATEWAY_SERVER_SET, current=doc)
            if "name" in body and body["name"] != doc["name"]:
                doc["name"] = text(body, "name")
                stamp_modified(doc, caller)
                self.db.put("gateway", gateway_id, doc, account_id)
            return doc

    def delete_gateway(self, caller: Caller, account_id: str, gateway_id: str) -> None:
        with self.db.transaction():
            self.get_gateway(caller, account_id, gateway_id)
            if self.db.get("pbx_link", gateway_id) is not None:
                raise GatewayHasPbxLink(f"gateway {gateway_id} still has a PBX link; delete the link first")
            self.db.delete("gateway", gateway_id)

    def set_gateway_status(self, gateway_id: str, status: str) -> dict[str, Any]:
        """Emulator control: what the real gateway would report (ONLINE, OFFLINE, UPDATING...)."""
        with self.db.transaction():
            doc = self.db.get("gateway", gateway_id)
            if doc is None:
                raise NotFound(f"gateway {gateway_id} was not found")
            doc["status"] = one_of({"status": status}, "status", GATEWAY_STATUSES)
            stamp_modified(doc, SYSTEM)
            return self.db.put("gateway", gateway_id, doc, doc["accountId"])

    # --- PBX link ------------------------------------------------------------------------------
    def create_pbx_link(self, caller: Caller, account_id: str, gateway_id: str,
                        body: dict[str, Any]) -> dict[str, Any]:
        with self.db.transaction():
            self.get_gateway(caller, account_id, gateway_id)
            check_fields(body, writable=LINK_WRITABLE | {"pbxType"}, server_set=LINK_SERVER_SET)
            pbx_type = one_of(body, "pbxType", set(PBX_TYPES))
            _validate_link(body, creating=True)
            if self.db.get("pbx_link", gateway_id) is not None:
                raise PbxLinkExists(f"gateway {gateway_id} already has a PBX link", labels=[gateway_id])
            doc = {"gatewayId": gateway_id, "accountId": account_id, "pbxType": pbx_type, "host": body["host"],
                   "port": body["port"], "username": body["username"], "_password": secret_hash(body["password"])}
            self._start_connecting(doc)
            stamp_new(doc, caller, _gateway_href(account_id, gateway_id) + "/pbx-link")
            return self.db.put("pbx_link", gateway_id, doc, account_id)

    def get_pbx_link(self, caller: Caller, account_id: str, gateway_id: str) -> dict[str, Any]:
        self.get_gateway(caller, account_id, gateway_id)
        doc = self.db.get("pbx_link", gateway_id)
        if doc is None:
            raise NotFound(f"gateway {gateway_id} has no PBX link")
        return self._resolve(doc)

    def update_pbx_link(self, caller: Caller, account_id: str, gateway_id: str, body: dict[str, Any],
                        if_match: str | None = None) -> dict[str, Any]:
        with self.db.transaction():
            doc = self.get_pbx_link(caller, account_id, gateway_id)
            check_if_match(doc, if_match)
            check_fields(body, writable=LINK_WRITABLE, immutable={"pbxType"}, server_set=LINK_SERVER_SET,
                         current=doc)
            _validate_link(body, creating=False)
            changed = {k for k in ("host", "port", "username") if k in body and body[k] != doc[k]}
            if "password" in body and secret_hash(body["password"]) != doc["_password"]:
                changed.add("password")
            if not changed:
                return doc
            doc.update({k: body[k] for k in changed - {"password"}})
            if "password" in changed:
                doc["_password"] = secret_hash(body["password"])
            self._start_connecting(doc)
            stamp_modified(doc, caller)
            return self.db.put("pbx_link", gateway_id, doc, account_id)

    def delete_pbx_link(self, caller: Caller, account_id: str, gateway_id: str) -> None:
        """Delete the link and the roles assigned through it."""
        with self.db.transaction():
            self.get_pbx_link(caller, account_id, gateway_id)
            for role in self.db.list("pbx_role", account_id):
                if role.get("gatewayId") == gateway_id:
                    self.db.delete("pbx_role", _role_id(account_id, role["extension"]))
            self.db.delete("pbx_link", gateway_id)

    def _start_connecting(self, doc: dict[str, Any]) -> None:
        doc["status"] = "CONNECTING"
        doc["_connectingSince"] = time.time()  # wall clock: stored, so it must survive a restart
        doc["_connectDelay"] = self.ctx.settings.pbx_connect_s
        doc["_connectsTo"] = "FAILED" if doc["host"].lower().endswith(FAILING_HOST_SUFFIX) else "CONNECTED"

    def _resolve(self, doc: dict[str, Any]) -> dict[str, Any]:
        # Lowering the setting speeds up links still connecting; raising it never un-connects one.
        delay = min(doc["_connectDelay"], self.ctx.settings.pbx_connect_s)
        if doc["status"] == "CONNECTING" and time.time() - doc["_connectingSince"] >= delay:
            doc["status"] = doc["_connectsTo"]
        return doc

    def connected_links(self, account_id: str) -> list[dict[str, Any]]:
        """The account's CONNECTED PBX links, oldest first (integrations use this too)."""
        links = (self._resolve(link) for link in self.db.list("pbx_link", account_id))
        return [link for link in links if link["status"] == "CONNECTED"]

    def require_connected(self, account_id: str) -> list[dict[str, Any]]:
        links = self.connected_links(account_id)
        if not links:
            raise PbxNotConnected(f"account {account_id} has no connected PBX link yet")
        return links

    # --- PBX directory -------------------------------------------------------------------------
    def set_directory(self, host: str, users: list[dict[str, Any]]) -> dict[str, Any]:
        """Emulator control: replace the directory the PBX at `host` exposes."""
        if not isinstance(host, str) or not host.strip():
            raise ValidationFailed("host is required")
        if not isinstance(users, list) or not all(isinstance(u, dict) for u in users):
            raise ValidationFailed("users must be a list of {extension, name, email}")
        clean = []
        for user in users:
            extension = text(user, "extension")
            clean.append({"extension": extension, "name": user.get("name"), "email": user.get("email")})
        if len({u["extension"] for u in clean}) != len(clean):
            raise ValidationFailed("extensions must be unique within a directory")
        self.db.put("pbx_directory", host.lower(), {"host": host, "users": clean})
        return {"host": host, "count": len(clean)}

    def _directory(self, link: dict[str, Any]) -> list[dict[str, Any]]:
        stored = self.db.get("pbx_directory", link["host"].lower())
        users = stored["users"] if stored else default_directory(link["host"])
        return [{**u, "gatewayId": link["gatewayId"], "pbxType": link["pbxType"]} for u in users]

    def list_pbx_users(self, caller: Caller, account_id: str) -> list[dict[str, Any]]:
        self.accounts.require_customer(caller, account_id)
        by_extension: dict[str, dict[str, Any]] = {}
        for link in self.require_connected(account_id):
            for user in self._directory(link):
                by_extension.setdefault(user["extension"], user)
        return list(by_extension.values())

    # --- PBX roles -----------------------------------------------------------------------------
    def list_roles(self, caller: Caller, account_id: str) -> list[dict[str, Any]]:
        self.accounts.require_customer(caller, account_id)
        return self.db.list("pbx_role", account_id)

    def get_role(self, caller: Caller, account_id: str, extension: str) -> dict[str, Any]:
        self.accounts.require_customer(caller, account_id)
        doc = self.db.get("pbx_role", _role_id(account_id, extension))
        if doc is None:
            raise NotFound(f"extension {extension} holds no CloudLink role")
        return doc

    def put_role(self, caller: Caller, account_id: str, extension: str, body: dict[str, Any],
                 if_match: str | None = None) -> tuple[dict[str, Any], bool]:
        """Give a PBX user its CloudLink role; returns (role, created)."""
        with self.db.transaction():
            users = self.list_pbx_users(caller, account_id)  # the gate, and 409 until connected
            existing = self.db.get("pbx_role", _role_id(account_id, extension))
            check_fields(body, writable={"role"}, server_set=ROLE_SERVER_SET,
                         current=existing or {"accountId": account_id, "extension": extension})
            role = text(body, "role")
            allowed = {role_allowed(t) for t in {u["pbxType"] for u in users}} - {None}
            if role not in allowed:
                raise RoleNotAllowed(f"role {role} is not allowed on this account's PBX "
                                     f"(allowed: {', '.join(sorted(allowed)) or 'none'})")
            user = next((u for u in users if u["extension"] == extension), None)
            if user is None:
                raise PbxUserNotFound(f"extension {extension} is not in the PBX directory")
            if role_allowed(user["pbxType"]) != role:
                raise RoleNotAllowed(f"role {role} is not allowed on {user['pbxType']} "
                                     f"(allowed: {role_allowed(user['pbxType']) or 'none'})")
            if existing is None:
                if if_match:
                    raise ConditionalFailed(f"extension {extension} holds no role to match")
                if len(self.db.list("pbx_role", account_id)) >= MAX_ROLE_HOLDERS:
                    raise RoleCapacityExceeded(f"at most {MAX_ROLE_HOLDERS} PBX users per account may hold a role")
                doc = {"accountId": account_id, "extension": extension}
                stamp_new(doc, caller, href("gateway", f"/accounts/{account_id}/pbx/roles/{extension}"))
            else:
                check_if_match(existing, if_match)
                doc = existing
                if (doc["role"], doc.get("gatewayId"), doc.get("name")) == (role, user["gatewayId"], user.get("name")):
                    return doc, False
                stamp_modified(doc, caller)
            doc.update(role=role, gatewayId=user["gatewayId"], name=user.get("name"))
            self.db.put("pbx_role", _role_id(account_id, extension), doc, account_id)
            return doc, existing is None

    def delete_role(self, caller: Caller, account_id: str, extension: str) -> None:
        with self.db.transaction():
            self.get_role(caller, account_id, extension)
            self.db.delete("pbx_role", _role_id(account_id, extension))


def _role_id(account_id: str, extension: str) -> str:
    return f"{account_id}:{extension}"
