"""The customer spec: what a partner writes in `stacks/Pulumi.<customer>.yaml` under `cloudlink-fleet:customer`.

Validated by pydantic before any API call: unknown keys are rejected, and each
failure names the field path and the rule in words a partner understands
(`SpecError`). Secrets (PBX password, Teams client secret) are not part of this
block: they are their own `secure:` config keys, so previews stay readable.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from ..wire import BIDIRECTIONAL_TEAMS_PBX, MAX_ROLE_HOLDERS, PBX_USER_ROLES
from .saml import https_url_problem, pem_certificates
from .users import LEGACY_WELCOME_EMAIL, UsersSpec, check_users
from .rules import (GATEWAY_KINDS, MICOLLAB_CALL_HISTORY_MIVB, MICOLLAB_READINESS, PAIRINGS, PBX_MODELS,
                    TEAMS_MODE_KINDS)

# The spec's enumerations, derived from the rules tables (one spelling each).
GatewayKind = Literal[tuple(GATEWAY_KINDS)]  # type: ignore[valid-type]
PbxKind = Literal[tuple(PBX_MODELS)]  # type: ignore[valid-type]
RoleName = Literal[tuple(sorted(set(PBX_USER_ROLES.values())))]  # type: ignore[valid-type]
TeamsMode = Literal[tuple(TEAMS_MODE_KINDS)]  # type: ignore[valid-type]

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")




def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank (empty or only spaces)")
    return value


Text = Annotated[str, AfterValidator(_not_blank)]  # required text: a name, a user name, an id

# Every format rule, in words: messages never show the regular expression itself.
DOMAIN = r"^([a-z0-9-]+\.)+[a-z]{2,}$"
LANGUAGE = r"^[a-z]{2}-[A-Z]{2}$"
SERIAL = r"^[A-Z0-9][A-Z0-9-]{5,39}$"
HOST = r"^[A-Za-z0-9.-]+$"
VERSION = r"^\d+(\.\d+){0,3}$"
EXTENSION = r"^\d{2,10}$"
FORMATS = {
    DOMAIN: "a lower-case domain name like acme.example",
    LANGUAGE: "a language tag like en-GB (two lower-case letters, '-', two upper-case letters)",
    SERIAL: "a gateway serial number: 6 to 40 upper-case letters, digits or '-', starting with a letter or digit",
    HOST: "a host name or IPv4 address (letters, digits, '.' and '-' only)",
    VERSION: "a version like 9.7 or 9.7.10",
    EXTENSION: "an extension of 2 to 10 digits",
}


def path_text(loc: tuple[Any, ...] | list[Any]) -> str:
    """One path notation everywhere: `customer.roles[0].role` (list positions in brackets)."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


_SUBFIELD = re.compile(r"^([A-Za-z_[][\w.\[\]]*): (.*)$", re.DOTALL)


class SpecError(ValueError):
    """An invalid customer spec; `problems` holds one "path: rule" line per failure."""

    def __init__(self, problems: list[str], where: str = "customer"):
        self.problems = problems
        super().__init__(f"invalid {where} spec:\n" + "\n".join(f"  - {p}" for p in problems))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class AccountSpec(Strict):
    name: Text = Field(min_length=1, max_length=120)
    domain: str | None = Field(default=None, max_length=253, pattern=DOMAIN)
    languageCode: str | None = Field(default=None, pattern=LANGUAGE)
    active: bool = True
    # An explicit adoption: absent means "create (or find by name)"; given, it must name a live account.
    adoptAccountId: str | None = None

    @field_validator("adoptAccountId")
    @classmethod
    def _adopt_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must be the id of the customer account to adopt; leave the key out to create a new "
                             "account instead")
        return value


class GatewaySpec(Strict):
    serialNumber: str = Field(pattern=SERIAL)
    type: GatewayKind
    name: Text = Field(min_length=1, max_length=120)


class PbxSpec(Strict):
    type: PbxKind
    host: str = Field(pattern=HOST, min_length=1)
    port: int = Field(ge=1, le=65535)
    username: Text = Field(min_length=1)
    users: int = Field(default=0, ge=0)
    bhcc: int = Field(default=0, ge=0)
    micollabVersion: str | None = Field(default=None, pattern=VERSION)

    @model_validator(mode="after")
    def _capacity(self) -> "PbxSpec":
        model = PBX_MODELS[self.type]
        if self.users > model.max_users:
            raise ValueError(f"users: {self.users} planned users exceed the {model.title} capacity of "
                             f"{model.max_users}")
        if self.bhcc > model.max_bhcc:
            raise ValueError(f"bhcc: {self.bhcc} busy-hour call completions exceed the {model.title} "
                             f"capacity of {model.max_bhcc}")
        return self


class RoleSpec(Strict):
    extension: str = Field(pattern=EXTENSION)
    role: RoleName


class TeamsSpec(Strict):
    tenantId: str
    clientId: str
    mode: TeamsMode = "unidirectional"

    @field_validator("tenantId", "clientId")
    @classmethod
    def _guid(cls, value: str) -> str:
        if not GUID.match(value):
            raise ValueError("must be a GUID like 8f0c3b1e-2c5d-4b7a-9e61-0f2d3c4b5a69")
        return value.lower()


class SsoSpec(Strict):
    provider: Literal["azure-ad"] = "azure-ad"
    issuerId: Text = Field(min_length=1)
    loginUrl: str
    logoutUrl: str | None = None
    certificate: str
    scim: bool = False

    @field_validator("loginUrl", "logoutUrl")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        problem = None if value is None else https_url_problem(value)
        if problem:
            raise ValueError(f"{value!r} {problem}")
        return value

    @field_validator("certificate")
    @classmethod
    def _pem(cls, value: str) -> str:
        pem_certificates(value)  # raises ValueError naming what is wrong
        return value.strip() + "\n"


class CustomerSpec(Strict):
    account: AccountSpec
    gateway: GatewaySpec | None = None
    pbx: PbxSpec | None = None
    roles: list[RoleSpec] = Field(default_factory=list)
    teams: TeamsSpec | None = None
    sso: SsoSpec | None = None
    users: UsersSpec | None = None  # customer/users.py

    @model_validator(mode="before")
    @classmethod
    def _moved_keys(cls, data: Any) -> Any:
        if isinstance(data, dict) and "welcomeEmail" in data:  # the old top-level stub: say where it went
            raise ValueError(LEGACY_WELCOME_EMAIL)
        return data

    @model_validator(mode="after")
    def _dependencies(self) -> "CustomerSpec":
        if self.pbx and not self.gateway:
            raise ValueError("pbx: a PBX connects through a gateway; add a gateway block")
        if self.pbx and self.gateway:
            pairing, model = PAIRINGS[self.gateway.type], PBX_MODELS[self.pbx.type]
            if model.api_type not in pairing.pbx_types:
                allowed = " or ".join(PBX_MODELS[k].title for k in PBX_MODELS
                                      if PBX_MODELS[k].api_type in pairing.pbx_types)
                raise ValueError(f"pbx.type: {pairing.title} (gateway type {self.gateway.type}) cannot run beside "
                                 f"{model.title}; it serves {allowed} only (use an appliance or virtual gateway "
                                 f"for {model.title})")
            for pbx_type, limit, _source in pairing.max_users:
                if model.api_type == pbx_type and self.pbx.users > limit:
                    raise ValueError(f"pbx.users: {self.pbx.users} planned users exceed what {model.title} supports "
                                     f"with {pairing.title}: at most {limit} UC users")
        if self.roles:
            if not self.pbx:
                raise ValueError("roles: CloudLink roles are assigned to PBX users; add a pbx block")
            allowed = PBX_MODELS[self.pbx.type].role
            if allowed is None:
                raise ValueError(f"roles: {PBX_MODELS[self.pbx.type].title} users take no CloudLink role "
                                 "(CTI is for MiVoice 5000, USER for MX-ONE)")
            for i, r in enumerate(self.roles):
                if r.role != allowed:
                    raise ValueError(f"roles[{i}].role: {PBX_MODELS[self.pbx.type].title} users take role "
                                     f"{allowed}, not {r.role}")
            seen: set[str] = set()
            for i, r in enumerate(self.roles):
                if r.extension in seen:
                    raise ValueError(f"roles[{i}].extension: extension {r.extension} is listed twice")
                seen.add(r.extension)
            if len(self.roles) > MAX_ROLE_HOLDERS:
                raise ValueError(f"roles: {len(self.roles)} role holders exceed the limit of "
                                 f"{MAX_ROLE_HOLDERS} per account")
        if self.teams:
            if not self.pbx:
                raise ValueError("teams: Teams presence needs a connected PBX; add gateway and pbx blocks")
            pbx = PBX_MODELS[self.pbx.type]
            if TEAMS_MODE_KINDS[self.teams.mode] == "BIDIRECTIONAL" and pbx.api_type != BIDIRECTIONAL_TEAMS_PBX:
                raise ValueError("teams.mode: bidirectional presence needs MiVoice Business "
                                 f"(this customer has {PBX_MODELS[self.pbx.type].title})")
        if self.users:
            check_users(self.users, self.pbx, self.sso)
        return self


# What a value of each JSON shape is called in a message (never a library's type or class name).
_SHAPES = {"dict_type": "a block of keys (key: value)", "model_type": "a block of keys (key: value)",
           "model_attributes_type": "a block of keys (key: value)", "list_type": "a list",
           "string_type": "text", "int_type": "a whole number", "int_parsing": "a whole number",
           "int_from_float": "a whole number", "float_type": "a number", "float_parsing": "a number",
           "bool_type": "true or false", "bool_parsing": "true or false"}
_TYPE_NAMES = frozenset({"str", "int", "float", "bool", "bytes", "list", "dict", "set", "tuple", "none"})


def _is_union_tag(part: Any) -> bool:
    """Whether a location part names a member of a union (pydantic's tag, like `literal['all']`, `list[str]`,
    `UsersSpec`), not a key of the spec: our keys are camelCase identifiers."""
    return isinstance(part, str) and (not re.fullmatch(r"[a-z_][A-Za-z0-9_]*", part) or part in _TYPE_NAMES)


def _shape(value: Any) -> str:
    for kind, word in ((bool, "true/false"), (int, "a number"), (float, "a number"), (str, "text"),
                       (list, "a list"), (dict, "a block of keys")):
        if isinstance(value, kind):
            return word
    return "empty" if value is None else "a value"


def _rule(e: dict[str, Any]) -> str:
    """What one pydantic error says, in the spec's words."""
    kind, msg = e["type"], e["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        return "unknown key (check the spelling; keys are camelCase)"
    if kind == "string_pattern_mismatch":
        return f"{e['input']!r} is not {FORMATS.get(e['ctx']['pattern'], 'in the expected format')}"
    if kind == "literal_error":
        return f"{e['input']!r} is not one of {e['ctx']['expected']}"
    if kind in _SHAPES:
        return f"expected {_SHAPES[kind]}, found {_shape(e['input'])}"
    return msg


def _wanted(e: dict[str, Any]) -> str:
    """What one member of a union accepts, for the merged line."""
    if e["type"] == "literal_error":
        return e["ctx"]["expected"]
    return _SHAPES.get(e["type"], "another form")


def located_problems(error: ValidationError, prefix: str = "") -> list[tuple[tuple[Any, ...], str]]:
    """Pydantic's errors as (location, "path: rule" line) a partner can act on; one line per problem.

    The one place validation messages are shaped: no line shows a library's union tags or class names.
    When a value fits none of a union's forms, the forms it came nearest to speak: a member whose error
    lies deeper (the value had that member's shape) is the one reported; else one line names every form.
    """
    errors = [dict(e, loc=tuple(p for p in e["loc"] if not _is_union_tag(p)), union=any(
        _is_union_tag(p) for p in e["loc"])) for e in error.errors()]
    by_loc: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for e in errors:
        by_loc.setdefault(e["loc"], []).append(e)
    out: list[tuple[tuple[Any, ...], str]] = []
    done: set[tuple[Any, ...]] = set()
    for e in errors:
        loc = e["loc"]
        if loc in done:
            continue
        done.add(loc)
        here = by_loc[loc]
        if e["union"]:
            deeper = any(o["union"] and o["loc"][:len(loc)] == loc and len(o["loc"]) > len(loc) for o in errors)
            if deeper:
                continue  # the value had another member's shape: that member's own error says what is wrong
            if len(here) > 1:
                forms = " or ".join(dict.fromkeys(_wanted(o) for o in here))
                out.append((loc, _line(prefix, loc, f"{here[0]['input']!r} is not {forms}")))
                continue
        for o in here:
            out.append((loc, _line(prefix, loc, _rule(o), o["type"] == "value_error")))
    return out


def _line(prefix: str, loc: tuple[Any, ...], msg: str, validator: bool = False) -> str:
    path = path_text(loc)
    named = _SUBFIELD.match(msg) if validator else None
    if named:  # model validators name the sub-field they judge
        sub = named.group(1)
        path = f"{path}{sub}" if sub.startswith("[") else ".".join(p for p in (path, sub) if p)
        msg = named.group(2)
    full = f"{prefix}{path}" if path.startswith("[") else ".".join(p for p in (prefix, path) if p)
    return f"{full}: {msg}"


def problems_of(error: ValidationError, prefix: str = "") -> list[str]:
    """Pydantic's errors as "path: rule" lines a partner can act on (see `located_problems`)."""
    return [line for _, line in located_problems(error, prefix)]


def parse_customer(data: Any) -> CustomerSpec:
    try:
        return CustomerSpec.model_validate(data)
    except ValidationError as e:
        raise SpecError(problems_of(e, "customer")) from None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def readiness_warnings(spec: CustomerSpec) -> list[str]:
    """Mitel Assistant readiness [brief]: worth a warning at preview, never an error."""
    if not spec.pbx or not spec.pbx.micollabVersion:
        return []
    have = _version(spec.pbx.micollabVersion)
    checks = list(MICOLLAB_READINESS)
    if PBX_MODELS[spec.pbx.type].api_type == "MIVOICE_BUSINESS":
        checks.append(MICOLLAB_CALL_HISTORY_MIVB)
    return [f"customer.pbx.micollabVersion {spec.pbx.micollabVersion}: {why}" for need, why in checks if have < need]
