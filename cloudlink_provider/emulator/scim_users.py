"""SCIM 2.0 `/Users` (RFC 7643/7644) of one account, as Azure AD Sync pushes them.

Owns the mapping between a SCIM User (scim2-models, with the enterprise and a
CloudLink extension) and a CloudLink user: `id` = userId, `userName` = loginId,
the primary (else work, else first) email = email, phone numbers of type
`mobile`/`work` = mobile/phone, `name.givenName`/`familyName` =
firstName/lastName, `displayName` = name, `active`, and the CloudLink
extension's `extension`. Everything else Azure AD sends (externalId, the
enterprise extension...) is kept beside the user and shown back. Writes go
through `UserStore` with Azure AD Sync's uniqueness (userId, email, mobile,
phone, extension, loginId: 409 `uniqueness`). Patches are applied by
scim2-models (with Microsoft Entra's tolerances), filters by `scim_filter`.
Every error is a `ScimError`. Must not know routes or tokens.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from scim2_models import (URN, AuthenticationScheme, Bulk, ChangePassword, Context, Email, EnterpriseUser, Error,
                          ETag, Extension, Filter, ListResponse, Meta, Name, Patch, PatchOp, PhoneNumber,
                          SCIMException, ScimPolicy, ServiceProviderConfig, Sort, User)

from ..wire import SCIM_UNIQUE_FIELDS
from .common import Caller
from .errors import ApiError
from .scim import ScimError, scim_base_url
from .scim_filter import CLOUDLINK_USER, InvalidFilter, to_sql
from .users import USER, UserStore

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
            "active": True if user.active is None else user.active,
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
    return {k: v for k, v in user.model_dump().items() if k not in ("id", "meta")}


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


class ScimUsers:
    def __init__(self, users: UserStore):
        self.users, self.db = users, users.db

    def _doc(self, caller: Caller, user_id: str) -> dict[str, Any]:
        user = self.db.get(USER, user_id)
        if user is None or user["accountId"] != caller.account_id:
            raise ScimError(404, f"user {user_id} was not found")
        return user

    def list_users(self, caller: Caller, base_url: str, filter_: str | None, start_index: int | None,
                   count: int | None) -> dict[str, Any]:
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
        return listed.model_dump(scim_ctx=Context.RESOURCE_QUERY_RESPONSE)

    def get_user(self, caller: Caller, user_id: str, base_url: str) -> dict[str, Any]:
        return self._dump(to_scim(self._doc(caller, user_id), base_url), Context.RESOURCE_QUERY_RESPONSE)

    def create_user(self, caller: Caller, body: Any, base_url: str) -> dict[str, Any]:
        user = _parse(ScimUser, body, Context.RESOURCE_CREATION_REQUEST)
        fields = {k: v for k, v in to_fields(user).items() if v is not None}
        try:
            doc = self.users.create_user(caller, caller.account_id, fields, source="SCIM",
                                         unique=SCIM_UNIQUE_FIELDS, internal={"_scim": _stored(user)})
        except ApiError as e:
            raise _scim_error(e) from None
        return self._dump(to_scim(doc, base_url), Context.RESOURCE_CREATION_RESPONSE)

    def replace_user(self, caller: Caller, user_id: str, body: Any, base_url: str) -> dict[str, Any]:
        with self.db.transaction():  # read, check and write as one: a concurrent write is not lost
            self._doc(caller, user_id)
            user = _parse(ScimUser, body, Context.RESOURCE_REPLACEMENT_REQUEST)
            if user.id not in (None, user_id):
                raise ScimError(400, "id is immutable", "mutability")
            return self._write(caller, user_id, user, base_url, Context.RESOURCE_REPLACEMENT_RESPONSE)

    def patch_user(self, caller: Caller, user_id: str, body: Any, base_url: str) -> dict[str, Any]:
        with self.db.transaction():  # read, patch and write as one: a concurrent write is not lost
            user = to_scim(self._doc(caller, user_id), base_url)
            patch = _parse(PatchOp[ScimUser], body, Context.RESOURCE_PATCH_REQUEST)
            try:
                with ENTRA:
                    patch.patch(user)
            except SCIMException as e:
                raise ScimError(e.status, e.detail, e.scim_type or None) from None
            return self._write(caller, user_id, user, base_url, Context.RESOURCE_PATCH_RESPONSE)

    def delete_user(self, caller: Caller, user_id: str) -> None:
        self._doc(caller, user_id)
        try:
            self.users.delete_user(caller, caller.account_id, user_id, synced=True)
        except ApiError as e:
            raise _scim_error(e) from None

    def _write(self, caller: Caller, user_id: str, user: Any, base_url: str, ctx: Context) -> dict[str, Any]:
        try:
            doc = self.users.update_user(caller, caller.account_id, user_id, to_fields(user), source="SCIM",
                                         unique=SCIM_UNIQUE_FIELDS, internal={"_scim": _stored(user)})
        except ApiError as e:
            raise _scim_error(e) from None
        return self._dump(to_scim(doc, base_url), ctx)

    @staticmethod
    def _dump(user: Any, ctx: Context) -> dict[str, Any]:
        return user.model_dump(scim_ctx=ctx)


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
