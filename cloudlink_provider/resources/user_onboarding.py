"""The `UserOnboarding` resource: a customer's CloudLink users and the application deployed to them (Admin API).

One resource per account manages the users its `users` block selects:
- `pbx-directory`: the selected PBX directory users that have an email (and, on
  MiVoice Office 400, a name) become
  CloudLink users carrying their extension; a user who already exists is adopted
  (matched by email, then by extension), never duplicated; each user this
  resource creates gets exactly one welcome email (CloudLink sends it on create;
  with `welcomeEmail: false` none). A POST is never retried blindly: a create
  that failed is looked up by email and adopted if it was made, sent again
  (bounded) only if it was not (`create_or_adopt`), all within the same run.
- `azure-ad-sync`: Azure AD Sync creates the users; this only deploys the
  application to the users it synced.

The users the block selects are a computed value, resolved from the live
directory in one place (`selection`) and never an input: `check` judges a new
resource's selection against the directory once the account exists (a rule
broken is a failure naming the field; a directory not readable yet is judged
by `create` before any write); `diff` compares the selection with the users the
state manages, so users added to the PBX later show as an update in preview
before `up` onboards them; a directory that cannot be read there is an update
(unknown until `up`) when what it hangs from is gone, else a one-line failure,
never "no change". `read` keeps only the managed users still alive, so a user
deleted in the console is drift that `up --refresh` re-creates (with one new
welcome email); a managed user counts as onboarded only while it carries the
application (`deployed`), so the application taken away in the console is drift
that `up --refresh` deploys again. Users the spec does not select are never
touched. Dropping a user from the selection (or the PBX directory) releases it:
CloudLink keeps the user. `delete` (destroy) deletes only the users this resource
created (an adopted user the same API credentials created, as a killed run leaves
them, counts as created); users made by others and synced users stay. Outputs: the managed users, and the
counts onboarded / activated (welcome email followed, or signed in) / pending.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, UpdateResult
from pydantic import Field

from ..client import CloudLinkError, Conflict, NotFound, User, create_or_adopt
from ..customer.rules import APPLICATION_KINDS, APPLICATION_KINDS_BY_API
from ..customer.users import ALL, AZURE_AD_SYNC, PBX_DIRECTORY, UsersSpec
from ._base import CloudLinkProvider, CloudLinkResource, is_unknown

PLANNING = ("accountId", "extensions", "maxUsers", "pbxTitle", "requireName", "source")  # what selects users


class UserOnboardingInputs(UsersSpec):
    accountId: str = Field(min_length=1)
    after: str | None = None  # the PBX link (or SSO integration) that must exist first: ordering only
    maxUsers: int | None = None  # [brief] the PBX type's capacity (customer.rules)
    pbxTitle: str | None = None
    requireName: bool = False  # [doc] the PBX onboards only users with a name (MiVoice Office 400)


def _key_order(key: str) -> tuple[int, str]:
    return len(key), key


def to_spec(users: Iterable[User]) -> dict[str, Any]:
    """The users block that selects these live users (the one API->spec mapping, declared as the provider's
    `to_spec`): azure-ad-sync when Azure AD Sync made any of them, else their extensions from the PBX
    directory (left out when none has one); the application they all have, if any. `welcomeEmail` is a
    one-time action CloudLink does not record, so it is left to its default."""
    users = list(users)
    if any(u.source == "SCIM" for u in users):
        block: dict[str, Any] = {"source": AZURE_AD_SYNC}
    else:
        block = {"source": PBX_DIRECTORY}
        extensions = sorted({u.extension for u in users if u.extension}, key=_key_order)
        if extensions:
            block["extensions"] = extensions
    shared = set.intersection(*(set(u.applications) for u in users)) if users else set()
    kinds = sorted(APPLICATION_KINDS_BY_API[a] for a in shared if a in APPLICATION_KINDS_BY_API)
    if kinds:
        block["application"] = kinds[0]
    return block


class OnboardingError(ValueError):
    """The selection cannot be onboarded as written; `field` is the spec field at fault."""

    def __init__(self, field: str, message: str):
        super().__init__(f"customer.users.{field}: {message}")
        self.field = field


class UserOnboardingProvider(CloudLinkProvider):
    inputs_model = UserOnboardingInputs
    to_spec = staticmethod(to_spec)
    replace_on = frozenset({"accountId", "source"})

    # --- what the spec selects, from the live directory -------------------------------------------
    def _wanted(self, inputs: dict[str, Any]) -> dict[str, dict[str, Any]]:
        """Key -> {extension, email, name} of every user the block selects; OnboardingError when it cannot be."""
        account_id = inputs["accountId"]
        if inputs["source"] != PBX_DIRECTORY:
            synced = [u for u in self.client.users.list(account_id) if u.source == "SCIM"]
            return {u.email.lower(): {"extension": u.extension, "email": u.email, "name": u.name} for u in synced}
        directory = {u.extension: u for u in self.client.gateways.list_pbx_users(account_id)}
        if inputs["extensions"] == ALL:
            chosen = [u for u in directory.values() if u.email and (u.name or not inputs.get("requireName"))]
        else:
            missing = [e for e in inputs["extensions"] if e not in directory]
            if missing:
                raise OnboardingError("extensions", f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} "
                                      f"not in the PBX directory ({len(directory)} users)")
            no_email = [e for e in inputs["extensions"] if not directory[e].email]
            if no_email:
                raise OnboardingError("extensions", f"{', '.join(no_email)} ha{'s' if len(no_email) == 1 else 've'} "
                                      "no email in the PBX directory; a CloudLink user needs one")
            no_name = [e for e in inputs["extensions"] if inputs.get("requireName") and not directory[e].name]
            if no_name:
                raise OnboardingError("extensions", f"{', '.join(no_name)} ha{'s' if len(no_name) == 1 else 've'} "
                                      f"no name in the PBX directory; {inputs.get('pbxTitle') or 'this PBX'} "
                                      "onboards only users with a name and an email")
            chosen = [directory[e] for e in inputs["extensions"]]
        limit = inputs.get("maxUsers")
        if limit and len(chosen) > limit:
            raise OnboardingError("extensions", f"{inputs['extensions'] if inputs['extensions'] == ALL else 'the list'}"
                                  f" selects {len(chosen)} PBX users, more than the {inputs.get('pbxTitle') or 'PBX'}"
                                  f" capacity of {limit}")
        return {u.extension: {"extension": u.extension, "email": u.email, "name": u.name} for u in chosen}

    def selection(self, inputs: dict[str, Any]) -> list[str]:
        """The keys of the users the block selects now, from the live directory (the one place the computed
        selection is resolved); OnboardingError when a rule is broken, CloudLinkError when it cannot be read."""
        return sorted(self._wanted(inputs), key=_key_order)

    def check(self, olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """The model's rules; for a resource not created yet whose account exists, also the directory's, so
        preview names the field at fault. An existing resource's selection is `diff`'s to judge."""
        result = super().check(olds, news)
        if result.failures or olds.get("accountId") or any(is_unknown(news.get(f)) for f in PLANNING):
            return result
        try:
            self.selection(dict(result.inputs))
        except OnboardingError as e:
            return CheckResult(result.inputs, [CheckFailure(e.field, str(e))])
        except CloudLinkError:  # not readable yet (the PBX link comes in this run): create judges it first
            pass
        return result

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        """The inputs' changes, then the selection's: users the directory now selects that the state does not
        manage (or the reverse) are an update. A directory with nothing to read from now (the account or
        its PBX link gone: 404, or not connected: 409) is an update too, resolved at `up`; any other failure
        to read it is raised (one line). Never "no change" for what could not be read."""
        result = super().diff(_id, olds, news)
        if result.changes or any(is_unknown(news.get(f)) for f in PLANNING):
            return result
        managed = {u["key"] for u in olds.get("users") or [] if u.get("deployed", True)}  # with the application
        try:
            changed = set(self.selection(news)) != managed
        except (NotFound, Conflict):
            changed = True
        return DiffResult(changes=changed, replaces=[])

    # --- converging ---------------------------------------------------------------------------------
    def _converge(self, inputs: dict[str, Any], previous: list[dict[str, Any]]) -> dict[str, Any]:
        account_id, source = inputs["accountId"], inputs["source"]
        api = self.client.users
        wanted = self._wanted(inputs)  # validated before any write
        if source == PBX_DIRECTORY and wanted:
            sync = self.client.scim.get(account_id)
            if sync is not None and sync.enabled:
                raise OnboardingError("source", f"Azure AD Sync is on for account {account_id}, so Azure AD owns "
                                      "its users; onboard them with source azure-ad-sync")
        app = APPLICATION_KINDS[inputs["application"]]
        live = list(api.list(account_id))
        by_id = {u.userId: u for u in live}
        by_email = {u.email.lower(): u for u in live}
        by_extension = {u.extension: u for u in live if u.extension}
        before = {p["key"]: p for p in previous}
        managed = []
        for key in sorted(wanted, key=_key_order):
            entry, prev = wanted[key], before.get(key)
            user = by_id.get(prev["userId"]) if prev else None
            created = bool(prev and user and prev.get("created"))
            if user is None:
                user = by_email.get(entry["email"].lower()) or (
                    by_extension.get(entry["extension"]) if source == PBX_DIRECTORY else None)
                created = user is not None and self._made_by_us(user)
            if user is None:
                user, created = self._create(account_id, entry, app, inputs["welcomeEmail"])
            elif app not in user.applications:
                user = api.update(account_id, user.userId, {"applications": [*user.applications, app]})
            managed.append(_entry(key, user, created, app))
        return _outputs(inputs, managed)

    def _made_by_us(self, user: User) -> bool:
        """Whether these API credentials created the user (a killed run's create, adopted on the next run,
        still counts as this stack's own, so destroy removes it); the console's users are someone else's."""
        if user.source != "API" or not user.createdBy:
            return False
        if getattr(self, "_principal", None) is None:
            self._principal = self.client.whoami().principalId
        return user.createdBy == self._principal

    def _create(self, account_id: str, entry: dict[str, Any], app: str, welcome: bool) -> tuple[User, bool]:
        """Create one directory user (CloudLink sends the welcome email); adopt it if the answer was lost, send
        it again (bounded) if a failed create made nothing: one user, one email, within the same run."""
        fields = {"email": entry["email"], "extension": entry["extension"], "applications": [app]}
        if entry.get("name"):
            fields["name"] = entry["name"]
        api = self.client.users
        user, adopted = create_or_adopt(lambda: api.find_by_email(account_id, entry["email"]),
                                        lambda: api.create(account_id, fields, welcome_email=welcome),
                                        look_first=False)  # _converge has just looked
        return user, (not adopted) or self._made_by_us(user)  # a lost answer was ours; a 409 may be another's

    def create(self, props: dict[str, Any]) -> CreateResult:
        inputs = self.inputs_from(props)
        return CreateResult(f"{inputs['accountId']}/users", self._converge(inputs, []))

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._converge(self.inputs_from(news), olds.get("users") or []))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        inputs = self.inputs_from(props)
        if self.client.accounts.get(inputs["accountId"]) is None:
            return ReadResult(None, {})
        live = {u.userId: u for u in self.client.users.list(inputs["accountId"])}
        app = APPLICATION_KINDS[inputs["application"]]
        managed = [_entry(p["key"], live[p["userId"]], p.get("created", False), app)
                   for p in props.get("users") or [] if p["userId"] in live]
        return ReadResult(id_, _outputs(inputs, managed), inputs)

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        for p in props.get("users") or []:
            if p.get("created"):
                self.client.users.delete(props["accountId"], p["userId"])


def _entry(key: str, user: User, created: bool, app: str) -> dict[str, Any]:
    """One managed user; `deployed`: it carries the application (taken away in the console, it does not)."""
    return {"key": key, "userId": user.userId, "email": user.email, "extension": user.extension,
            "created": created, "activated": user.activated, "deployed": app in user.applications}


def _outputs(inputs: dict[str, Any], managed: list[dict[str, Any]]) -> dict[str, Any]:
    """A managed user counts as onboarded while it carries the application: one taken away is drift (`diff`
    sees it as not managed), while its entry stays so destroy still deletes a user this resource created."""
    onboarded = [u for u in managed if u.get("deployed", True)]
    pending = [u["email"] for u in onboarded if not u["activated"]]
    summary = {"onboarded": len(onboarded), "activated": len(onboarded) - len(pending), "pending": len(pending),
               "pendingUsers": pending}
    return {**inputs, "users": managed, "summary": summary}


def users_input(users: UsersSpec) -> dict[str, Any]:
    """The resource's own inputs for the spec's users block (the plan adds accountId, after and capacity)."""
    return {**users.model_dump(), "welcomeEmail": users.sends_welcome_email}


class UserOnboarding(CloudLinkResource, module="cloudlink", name="UserOnboarding"):
    PROVIDER = UserOnboardingProvider
    OUTPUTS = ("users", "summary")
    users: pulumi.Output[list]  # {key, userId, email, extension, created, activated} per managed user
    summary: pulumi.Output[dict]  # {onboarded, activated, pending, pendingUsers}: the `users` stack output
