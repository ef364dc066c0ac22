"""SCIM service state and rules: Azure AD Sync, the SCIM 2.0 error shape and auth, and SCIM 2.0 `/Users`.

Azure AD Sync (`/scim/2017-09-01/accounts/{accountId}/azure-sync`): one document
per customer account. Enabling it mints a secret token that is shown once (only
its SHA-256 is kept), rotating mints a new one and voids the old, disabling
deletes it (and voids the token). The SCIM base URL is not stored: it is built
per request from the server's base URL as `<base>/scim/2017-09-01/{accountId}/v2`.
Needs ACCOUNT_ADMIN or higher on a visible, active customer account (not a
partner's own). `ScimError` is the SCIM 2.0 error shape (RFC 7644 §3.12), and
`scim_caller` turns a SCIM bearer token into the caller SCIM writes run as.

SCIM 2.0 `/Users` (RFC 7643/7644) of one account, as Azure AD Sync pushes them:
the mapping between a SCIM User (scim2-models, with the enterprise and a
CloudLink extension) and a CloudLink user: `id` = userId, `userName` = loginId,
the primary (else work, else first) email = email, phone numbers of type
`mobile`/`work` = mobile/phone, `name.givenName`/`familyName` =
firstName/lastName, `displayName` = name, `active`, and the CloudLink
extension's `extension`. Everything else Azure AD sends (externalId, the
enterprise extension...) is kept beside the user and shown back. Writes go
through the admin service's `UserStore` with Azure AD Sync's uniqueness
(userId, email, mobile, phone, extension, loginId: 409 `uniqueness`). Patches
are applied by scim2-models (with Microsoft Entra's tolerances), filters by
`filter`. Every error is a `ScimError`.

Must not know routes.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from pydantic import ValidationError
from scim2_models import (URN, AuthenticationScheme, Bulk, ChangePassword, Context, Email, EnterpriseUser, Error,
                          ETag, Extension, Filter, ListResponse, Meta, Name, Patch, PatchOp, PhoneNumber, ResourceType,
                          ResponseParameters, SCIMException, ScimPolicy, SearchRequest, ServiceProviderConfig, Sort,
                          User)

from ...wire import API_VERSION, SCIM_UNIQUE_FIELDS
from ..admin.store import AZURE_SYNC, USER, AccountStore, UserStore
from ..common import Caller, href, now_iso, stamp_modified, stamp_new
from ..common import Context as StoreContext  # scim2-models has its own Context (serialisation contexts)
from ..errors import ApiError, Conflict, Forbidden, NotFound
from ..fields import secret_hash
from .filter import CLOUDLINK_USER, InvalidFilter, to_sql

SCIM_PRINCIPAL = "scim:azure-ad-sync"
SCIM_CONTENT_TYPE = "application/scim+json"


class ScimError(ApiError):
    """An error rendered the SCIM way: `{schemas: [...Error], status: "409", scimType, detail}`."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None):
        super().__init__(detail, status=status, name="ScimError", headers={"Content-Type": SCIM_CONTENT_TYPE})
        self.scim_type = scim_type

    def body(self) -> dict:
        return Error(status=self.status, scim_type=self.scim_type, detail=self.message).model_dump()


def scim_base_url(base_url: str, account_id: str) -> str:
    return f"{base_url.rstrip('/')}/scim/{API_VERSION}/{account_id}/v2"


class AzureSyncStore:
    def __init__(self, ctx: StoreContext, accounts: AccountStore):
        self.db, self.accounts = ctx.db, accounts

    def _customer(self, caller: Caller, account_id: str) -> dict[str, Any]:
        account = self.accounts.require_customer(caller, account_id)
        if account.get("isPartner"):
            raise Forbidden("Azure AD Sync is for customer accounts, not a partner's own account",
                            name="AzureSyncNotAllowedOnPartnerAccount")
        return account

    def _sync(self, account_id: str) -> dict[str, Any]:
        doc = self.db.get(AZURE_SYNC, account_id)
        if doc is None:
            raise NotFound(f"Azure AD Sync is not enabled on account {account_id}", name="AzureSyncNotFound")
        return doc

    @staticmethod
    def view(doc: dict[str, Any], base_url: str, token: str | None = None) -> dict[str, Any]:
        """What the API shows: never the token, except right after it was minted."""
        shown = {**doc, "scimBaseUrl": scim_base_url(base_url, doc["accountId"])}
        if token:
            shown["token"] = token
        return shown

    def enable_azure_sync(self, caller: Caller, account_id: str, base_url: str) -> dict[str, Any]:
        with self.db.transaction():
            account = self._customer(caller, account_id)
            if not account.get("active", True):
                raise Forbidden(f"account {account_id} is not active", name="InactiveAccount")
            if self.db.get(AZURE_SYNC, account_id) is not None:
                raise Conflict(f"Azure AD Sync is already enabled on account {account_id}; "
                               "rotate its token to get a new one", name="AzureSyncExists")
            token = secrets.token_urlsafe(32)
            doc = {"accountId": account_id, "enabled": True, "tokenCreatedOn": now_iso(), "_tokenHash": secret_hash(token)}
            stamp_new(doc, caller, href("scim", f"/accounts/{account_id}/azure-sync"))
            self.db.put(AZURE_SYNC, account_id, doc, account_id)
            return self.view(doc, base_url, token)

    def get_azure_sync(self, caller: Caller, account_id: str, base_url: str) -> dict[str, Any]:
        self._customer(caller, account_id)
        return self.view(self._sync(account_id), base_url)

    def rotate_azure_sync_token(self, caller: Caller, account_id: str, base_url: str) -> dict[str, Any]:
        with self.db.transaction():
            self._customer(caller, account_id)
            doc = self._sync(account_id)
            token = secrets.token_urlsafe(32)
            doc.update(tokenCreatedOn=now_iso(), _tokenHash=secret_hash(token))
            stamp_modified(doc, caller)
            self.db.put(AZURE_SYNC, account_id, doc, account_id)
            return self.view(doc, base_url, token)

    def disable_azure_sync(self, caller: Caller, account_id: str) -> None:
        with self.db.transaction():
            self._customer(caller, account_id)
            self._sync(account_id)
            self.db.delete(AZURE_SYNC, account_id)

    def scim_caller(self, account_id: str, authorization: str | None) -> Caller:
        """The caller SCIM requests run as, once their bearer token matches the account's."""
        if not authorization or not authorization.lower().startswith("bearer "):
            raise ScimError(401, "a bearer token (the Azure AD Sync token) is required")
        doc = self.db.get(AZURE_SYNC, account_id)
        if doc is None or not hmac.compare_digest(doc["_tokenHash"], secret_hash(authorization[7:].strip())):
            raise ScimError(401, "the token is not valid for this SCIM endpoint")
        account = self.db.get("account", account_id) or {}
        if not account.get("active", True):
            raise ScimError(403, f"account {account_id} is not active")
        return Caller(SCIM_PRINCIPAL, account_id, "ACCOUNT_ADMIN", 0, account.get("partnerId"))


# --- SCIM 2.0 /Users -------------------------------------------------------------------------------
MAX_RESULTS = 200


class CloudLinkUser(Extension):
    """CloudLink's own User attributes that SCIM's core schema lacks."""
    __schema__ = URN(CLOUDLINK_USER)
    extension: str | None = None


class PlainEmail(Email):
    """An email whose syntax CloudLink's own rule checks (scim2-models' EmailStr refuses e.g. `.test`)."""
    value: str | None = None


class ScimUser(User[EnterpriseUser | CloudLinkUser]):
    emails: list[PlainEmail] | None = None


# Microsoft Entra sends `add` to filtered paths that match nothing and `remove` with a value.
ENTRA = ScimPolicy(unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
                   remove_value_as_filter=ScimPolicy.RemoveValue.apply)


def _first(values: Any) -> Any:
    return next((v for v in values if v), None)


def to_fields(user: Any) -> dict[str, Any]:
    """The CloudLink user fields a SCIM User stands for (None where SCIM has no value)."""
    emails = user.emails or []
    email = _first([e.value for e in emails if e.primary] + [e.value for e in emails if e.type == "work"]
                   + [e.value for e in emails])
    if not email and user.user_name and "@" in user.user_name:
        email = user.user_name
    phones = user.phone_numbers or []
    name = user.name or Name()
    ext = user[CloudLinkUser]
    return {"loginId": user.user_name, "email": email, "name": user.display_name or name.formatted,
            "firstName": name.given_name, "lastName": name.family_name,
            "active": user.active,  # None: not said (a create makes the user active, a write leaves it)
            "mobile": _first(p.value for p in phones if p.type == "mobile"),
            "phone": _first([p.value for p in phones if p.type == "work"]
                            + [p.value for p in phones if p.type != "mobile"]),
            "extension": ext.extension if ext else None}


def to_scim(doc: dict[str, Any], base_url: str) -> Any:
    """The SCIM view of a CloudLink user: what Azure AD last sent, corrected by the user's fields."""
    stored = doc.get("_scim")
    user = ScimUser.model_validate(stored) if stored else ScimUser()
    derived = to_fields(user) if stored else {}
    if derived.get("email") != doc.get("email"):
        user.emails = [PlainEmail(value=doc["email"], type="work", primary=True)]
    if (derived.get("mobile"), derived.get("phone")) != (doc.get("mobile"), doc.get("phone")):
        phones = [PhoneNumber(value=doc["mobile"], type="mobile")] if doc.get("mobile") else []
        phones += [PhoneNumber(value=doc["phone"], type="work")] if doc.get("phone") else []
        user.phone_numbers = phones or None
    if (derived.get("firstName"), derived.get("lastName")) != (doc.get("firstName"), doc.get("lastName")):
        has_name = doc.get("firstName") or doc.get("lastName")
        user.name = Name(given_name=doc.get("firstName"), family_name=doc.get("lastName")) if has_name else None
    user.user_name = doc.get("loginId") or doc["email"]
    user.display_name = doc.get("name")
    user.active = doc.get("active", True)
    user[CloudLinkUser] = CloudLinkUser(extension=doc["extension"]) if doc.get("extension") else None
    user.id = doc["userId"]
    user.meta = Meta(resource_type="User", created=doc.get("createdOn"), last_modified=doc.get("modifiedOn"),
                     location=f"{scim_base_url(base_url, doc['accountId'])}/Users/{doc['userId']}",
                     version=f'W/"{doc.get("_version", 1)}"')
    return user


def _stored(user: Any) -> dict[str, Any]:
    # A password Azure AD may send is never kept: CloudLink users sign in through SSO or their own password.
    return {k: v for k, v in user.model_dump().items() if k not in ("id", "meta", "password")}


def _scim_error(e: ApiError) -> ScimError:
    """A CloudLink rule broken by a SCIM write, as SCIM says it."""
    if isinstance(e, ScimError):
        return e
    scim_type = {"DuplicateValue": "uniqueness"}.get(e.name) or ("invalidValue" if e.status == 400 else None)
    labels = f" ({', '.join(e.labels)})" if e.labels else ""
    return ScimError(e.status, f"{e.name}: {e.message}{labels}", scim_type)


def _parse(model: Any, body: Any, ctx: Context) -> Any:
    if not isinstance(body, dict):
        raise ScimError(400, "the body must be a JSON object", "invalidSyntax")
    try:
        with ENTRA:
            return model.model_validate(body, scim_ctx=ctx)
    except ValidationError as e:
        error = Error.from_validation_errors(e)[0]
        raise ScimError(int(error.status or 400), error.detail or "invalid request", error.scim_type) from None


Shown = ResponseParameters | None  # the request's `attributes` / `excludedAttributes` (RFC 7644 §3.9)


def response_parameters(attributes: str | None, excluded_attributes: str | None) -> Shown:
    """The request's choice of attributes to return, checked against the User schema (400 `invalidValue`)."""
    if attributes is None and excluded_attributes is None:
        return None
    try:
        return ResponseParameters[ScimUser].model_validate(
            {"attributes": attributes, "excludedAttributes": excluded_attributes})
    except ValidationError as e:
        error = Error.from_validation_errors(e)[0]
        raise ScimError(400, error.detail or "invalid attributes", error.scim_type or "invalidValue") from None


class ScimUsers:
    def __init__(self, users: UserStore):
        self.users, self.db = users, users.db

    def _doc(self, caller: Caller, user_id: str) -> dict[str, Any]:
        user = self.db.get(USER, user_id)
        if user is None or user["accountId"] != caller.account_id:
            raise ScimError(404, f"user {user_id} was not found")
        return user

    def list_users(self, caller: Caller, base_url: str, filter_: str | None, start_index: int | None,
                   count: int | None, shown: Shown = None) -> dict[str, Any]:
        if filter_:
            try:
                where, params = to_sql(filter_)
            except InvalidFilter as e:
                raise ScimError(400, str(e), "invalidFilter") from None
            docs = self.db.select(USER, caller.account_id, where, params)
        else:
            docs = self.db.list(USER, caller.account_id)
        start = max(start_index or 1, 1)
        count = MAX_RESULTS if count is None else min(max(count, 0), MAX_RESULTS)
        chunk = docs[start - 1: start - 1 + count]
        listed = ListResponse[ScimUser](total_results=len(docs), start_index=start, items_per_page=len(chunk),
                                        resources=[to_scim(d, base_url) for d in chunk])
        return listed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE, response_parameters=shown)

    def search_users(self, caller: Caller, base_url: str, body: Any) -> dict[str, Any]:
        """`POST /.search` and `POST /Users/.search` (RFC 7644 §3.4.3): a query in the body; Users are all
        there is to search here."""
        if not isinstance(body, dict) or SearchRequest.__schema__ not in (body.get("schemas") or []):
            raise ScimError(400, f"a search names its schema: schemas must hold {SearchRequest.__schema__}",
                            "invalidSyntax")  # RFC 7644 §3.4.3: `schemas` is required
        request = _parse(SearchRequest[ScimUser], body, Context.SEARCH_REQUEST)
        shown = request if request.attributes or request.excluded_attributes else None
        return self.list_users(caller, base_url, body.get("filter"), request.start_index, request.count, shown)

    def get_user(self, caller: Caller, user_id: str, base_url: str, shown: Shown = None) -> dict[str, Any]:
        return self._dump(to_scim(self._doc(caller, user_id), base_url), Context.RESOURCE_QUERY_RESPONSE, shown)

    def create_user(self, caller: Caller, body: Any, base_url: str, shown: Shown = None) -> dict[str, Any]:
        user = _parse(ScimUser, body, Context.RESOURCE_CREATION_REQUEST)
        fields = {k: v for k, v in to_fields(user).items() if v is not None}
        try:
            doc = self.users.create_user(caller, caller.account_id, fields, source="SCIM",
                                         unique=SCIM_UNIQUE_FIELDS, internal={"_scim": _stored(user)})
        except ApiError as e:
            raise _scim_error(e) from None
        return self._dump(to_scim(doc, base_url), Context.RESOURCE_CREATION_RESPONSE, shown)

    def replace_user(self, caller: Caller, user_id: str, body: Any, base_url: str,
                     shown: Shown = None) -> dict[str, Any]:
        with self.db.transaction():  # read, check and write as one: a concurrent write is not lost
            self._doc(caller, user_id)
            user = _parse(ScimUser, body, Context.RESOURCE_REPLACEMENT_REQUEST)
            if user.id not in (None, user_id):
                raise ScimError(400, "id is immutable", "mutability")
            return self._write(caller, user_id, user, base_url, Context.RESOURCE_REPLACEMENT_RESPONSE, shown)

    def patch_user(self, caller: Caller, user_id: str, body: Any, base_url: str,
                   shown: Shown = None) -> dict[str, Any]:
        with self.db.transaction():  # read, patch and write as one: a concurrent write is not lost
            user = to_scim(self._doc(caller, user_id), base_url)
            patch = _parse(PatchOp[ScimUser], body, Context.RESOURCE_PATCH_REQUEST)
            try:
                with ENTRA:
                    patch.patch(user)
            except SCIMException as e:
                raise ScimError(e.status, e.detail, e.scim_type or None) from None
            return self._write(caller, user_id, user, base_url, Context.RESOURCE_PATCH_RESPONSE, shown)

    def delete_user(self, caller: Caller, user_id: str) -> None:
        self._doc(caller, user_id)
        try:
            self.users.delete_user(caller, caller.account_id, user_id, synced=True)
        except ApiError as e:
            raise _scim_error(e) from None

    def _write(self, caller: Caller, user_id: str, user: Any, base_url: str, ctx: Context,
               shown: Shown) -> dict[str, Any]:
        fields = to_fields(user)
        if fields["active"] is None:  # removed or left out: CloudLink's own rule keeps the user as it is
            del fields["active"]
        try:
            doc = self.users.update_user(caller, caller.account_id, user_id, fields, source="SCIM",
                                         unique=SCIM_UNIQUE_FIELDS, internal={"_scim": _stored(user)})
        except ApiError as e:
            raise _scim_error(e) from None
        return self._dump(to_scim(doc, base_url), ctx, shown)

    @staticmethod
    def _dump(user: Any, ctx: Context, shown: Shown = None) -> dict[str, Any]:
        return user.model_dump(scim_ctx=ctx, response_parameters=shown)


def service_provider_config() -> dict[str, Any]:
    """RFC 7643 §5: what this SCIM endpoint supports."""
    config = ServiceProviderConfig(
        patch=Patch(supported=True), bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS), change_password=ChangePassword(supported=False),
        sort=Sort(supported=False), etag=ETag(supported=False),
        authentication_schemes=[AuthenticationScheme(
            type="oauthbearertoken", name="OAuth Bearer Token", primary=True,
            description="The Azure AD Sync token from POST /scim/2017-09-01/accounts/{accountId}/azure-sync")])
    return config.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


# --- discovery (RFC 7644 §4): what the schemas and resource types of this endpoint are ----------------
SCHEMAS = (User, EnterpriseUser, CloudLinkUser)  # the User schema, then the extensions it may carry
# CloudLink's own rule, published so a client knows before it writes: every user has an email (a value).
REQUIRED_BY_CLOUDLINK = {"emails"}


def _discovered(obj: Any, kind: str, base: str) -> Any:
    obj.meta = Meta(resource_type=kind, location=f"{base}/{kind}s/{obj.id}")
    return obj


def _schemas(base: str) -> list[Any]:
    schemas = [_discovered(model.to_schema(), "Schema", base) for model in SCHEMAS]
    for attribute in schemas[0].attributes:
        if attribute.name in REQUIRED_BY_CLOUDLINK:
            attribute.required = True
            for sub in attribute.sub_attributes or []:
                if sub.name == "value":
                    sub.required = True
    return schemas


def _resource_types(base: str) -> list[Any]:
    return [_discovered(ResourceType.from_resource(ScimUser), "ResourceType", base)]


def _listed(items: list[Any]) -> dict[str, Any]:
    listed = ListResponse[type(items[0])](total_results=len(items), start_index=1, items_per_page=len(items),
                                          resources=items)
    return listed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def _one(items: list[Any], kind: str, id_: str) -> dict[str, Any]:
    found = next((i for i in items if i.id == id_), None)
    if found is None:
        raise ScimError(404, f"no {kind} {id_!r} here; the {kind}s are {', '.join(i.id for i in items)}")
    return found.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)


def list_schemas(base: str) -> dict[str, Any]:
    return _listed(_schemas(base))


def get_schema(base: str, schema_id: str) -> dict[str, Any]:
    return _one(_schemas(base), "Schema", schema_id)


def list_resource_types(base: str) -> dict[str, Any]:
    return _listed(_resource_types(base))


def get_resource_type(base: str, resource_type_id: str) -> dict[str, Any]:
    return _one(_resource_types(base), "ResourceType", resource_type_id)
