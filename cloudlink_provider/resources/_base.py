"""What every CloudLink dynamic provider shares: credentials, the client, check, diff and the API->spec interface.

Pulumi pickles a provider instance (dill) into the state, so providers hold only
plain data and are defined in importable modules (never `__main__`): the state
then stores a reference to the class, and upgrading this package does not
produce `__provider` diffs. The client is built once per provider process, from
the stack config that the engine hands dynamic providers in `configure()`;
`credentials_from_config` is the one reading of those settings, and
`use_credentials` configures a provider the engine does not (the fleet scan).

Every provider declares its one API->spec mapping as `to_spec(live)`: the live
API object(s) the resource manages -> the spec's fields for it. A provider
class without one cannot be defined; `read`, `fleet import` and the fleet scan
all call it.

Also shared: one registration shape for every resource (`CloudLinkResource(name,
inputs)`, with the inputs the plan computed), and one way to fail: whatever
CloudLink (or a provider) refuses leaves check/diff/create/read/update/delete as a single
`CloudLinkRefused` line naming the resource, the operation, the API's error and
the correlation id. The line is shaped here, where it is made; Pulumi's Python
host hands the engine the exception as `traceback.format_exc()`, so the line is
the last of that text, and the `cloudlink` CLI (fleet/failures.py) shows only
it. Nothing here changes interpreter-wide state. With `CLOUDLINK_DEBUG` set the
API error the refusal came from is chained, for the whole story.
"""

from __future__ import annotations

import functools
import os
import threading
from collections.abc import Mapping
from typing import Any, Callable, ClassVar, Protocol

import pulumi
from pulumi.output import Unknown
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, DiffResult, Resource, ResourceProvider
from pydantic import BaseModel, ValidationError

from ..client import ApiError, ClientConfig, CloudLink, CloudLinkError
from ..customer.model import located_problems
from ..fleetfile import FleetFileError, project_provider_settings
from ..pulumi_facts import UNKNOWN  # noqa: F401 - how the engine marks a value not known during preview

DEBUG_ENV = "CLOUDLINK_DEBUG"  # set (to anything but "" or "0"): a refusal keeps the API error it came from, chained


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


class CloudLinkRefused(Exception):
    """A provider operation CloudLink refused (or we refused for it), as the one line a partner reads:
    `Gateway create: CloudLink refused: 409 GatewayAlreadyAssociated: ... (correlation id 7f3...)`."""


def refusal_line(resource: str, op: str, error: Exception) -> str:
    """One line: resource, operation, the API's error name and message, the correlation id."""
    if isinstance(error, ApiError):
        cid = f" (correlation id {error.correlation_id})" if error.correlation_id else ""
        return f"{resource} {op}: CloudLink refused: {error.status} {error.name}: {error.message}{cid}"
    if isinstance(error, CloudLinkError):
        return f"{resource} {op}: CloudLink: {' '.join(str(error).split())}"
    return f"{resource} {op}: {' '.join(str(error).split())}"


def _one_line_failures(resource: str, op: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (CloudLinkError, ValueError, TimeoutError) as e:
            if debugging():
                raise CloudLinkRefused(refusal_line(resource, op, e)) from e
            raise CloudLinkRefused(refusal_line(resource, op, e)) from None
    return wrapper

_clients: dict[tuple[str, str, str], CloudLink] = {}
_clients_lock = threading.Lock()

# The provider's settings in the stack config, and the environment variables that stand in for them.
ENDPOINT_KEY, CLIENT_ID_KEY, CLIENT_SECRET_KEY = "cloudlink:endpoint", "cloudlink:clientId", "cloudlink:clientSecret"
_ENV = {ENDPOINT_KEY: "CLOUDLINK_ENDPOINT", CLIENT_ID_KEY: "CLOUDLINK_CLIENT_ID",
        CLIENT_SECRET_KEY: "CLOUDLINK_CLIENT_SECRET"}


class ConfigSource(Protocol):
    """What credentials are read from: `pulumi.dynamic.Config`, a decrypted stack config, a plain dict."""

    def get(self, key: str) -> Any: ...


def credentials_from_config(config: ConfigSource | Mapping[str, Any] | None,
                            fleet: Mapping[str, str] | None = None) -> ClientConfig:
    """The partner's API credentials from a stack config (`cloudlink:endpoint`, `cloudlink:clientId`,
    `cloudlink:clientSecret`), each falling back to the fleet file's provider block (stacks/fleet.yaml), then
    to its CLOUDLINK_* environment variable; a missing one is a ValueError naming the keys and how to set them.

    `fleet`: the fleet file's settings as `cloudlink:<key>` -> value; None reads the fleet file of the
    working directory's project (where the engine starts the program and the providers), and only when
    the stack config lacks a setting, so a stack file that says everything never opens the fleet file."""
    fleet_settings: Mapping[str, str] | None = fleet

    def setting(key: str) -> str | None:
        nonlocal fleet_settings
        value = config.get(key) if config is not None else None
        if value in (None, "") and config is not None:
            if fleet_settings is None:
                try:
                    fleet_settings = project_provider_settings()
                except FleetFileError as e:
                    raise ValueError(str(e)) from None
            value = fleet_settings.get(key)
        return value if value not in (None, "") else os.environ.get(_ENV[key])

    values = {key: setting(key) for key in _ENV}
    missing = [key for key, value in values.items() if not value]
    if missing:
        raise ValueError(f"missing provider configuration: {', '.join(missing)} "
                         "(in stacks/fleet.yaml's provider block, or pulumi config set ..., with --secret for the "
                         "client secret)")
    return ClientConfig(endpoint=values[ENDPOINT_KEY], client_id=values[CLIENT_ID_KEY],  # type: ignore[arg-type]
                        client_secret=values[CLIENT_SECRET_KEY])


def shared_client(config: ClientConfig) -> CloudLink:
    key = (config.endpoint, config.client_id, config.client_secret)
    with _clients_lock:
        if key not in _clients:
            _clients[key] = CloudLink(config)
        return _clients[key]


def is_unknown(value: Any) -> bool:
    """Whether the engine marked this value unknown (it depends on a resource not created yet)."""
    return isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN)


class CloudLinkProvider(ResourceProvider):
    """Base provider: subclasses set `inputs_model`, `replace_on`, implement create/read/update/delete, and
    declare their API->spec mapping `to_spec` (a static method; defining a provider without one fails)."""

    inputs_model: ClassVar[type[BaseModel]]
    replace_on: ClassVar[frozenset[str]] = frozenset()  # input fields that force replacement
    delete_before_replace: ClassVar[bool] = False  # the backend allows only one at a time
    write_only: ClassVar[tuple[str, ...]] = ()  # inputs CloudLink never returns: no drift check can see them
    serialize_as_secret_always = False  # nothing secret is pickled: the provider holds no data

    @staticmethod
    def to_spec(live: Any) -> Any:
        """The spec's fields for the live API object(s) this resource manages (spec names, not API enums)."""
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.to_spec is CloudLinkProvider.to_spec:
            raise TypeError(f"{cls.__name__} declares no `to_spec`: every resource maps the live API object to "
                            "its spec fields in one place")
        resource = cls.__name__.removesuffix("Provider")
        for op in ("check", "diff", "create", "read", "update", "delete"):
            if op in cls.__dict__:
                setattr(cls, op, _one_line_failures(resource, op, cls.__dict__[op]))

    def configure(self, req: ConfigureRequest) -> None:
        """The engine's call, once per provider process, with the stack config."""
        self.use_credentials(credentials_from_config(req.config))

    def use_credentials(self, credentials: ClientConfig) -> None:
        """Configure this provider with these credentials (what `configure` does with the stack config's)."""
        self._credentials = credentials

    @property
    def client(self) -> CloudLink:
        credentials = getattr(self, "_credentials", None) or credentials_from_config(None)
        return shared_client(credentials)

    @classmethod
    def input_fields(cls) -> list[str]:
        return list(cls.inputs_model.model_fields)

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        """Validate inputs with the pydantic model; values unknown during preview are not judged yet."""
        data = {k: v for k, v in news.items() if not k.startswith("__")}
        failures = []
        try:
            self.inputs_model.model_validate(data)
        except ValidationError as e:
            for loc, line in located_problems(e):
                field = str(loc[0]) if loc else ""
                if not is_unknown(data.get(field)):
                    failures.append(CheckFailure(field, line))
        return CheckResult(news, failures)

    def changed_fields(self, olds: dict[str, Any], news: dict[str, Any]) -> list[str]:
        return [f for f in self.input_fields() if olds.get(f) != news.get(f)]

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changes = self.changed_fields(olds, news)
        replaces = [f for f in changes if f in self.replace_on]
        return DiffResult(changes=bool(changes), replaces=replaces,
                          delete_before_replace=self.delete_before_replace if replaces else None)

    def inputs_from(self, props: dict[str, Any]) -> dict[str, Any]:
        """The resource's inputs, normalised by its model (the engine hands numbers over as floats)."""
        given = {f: props[f] for f in self.input_fields() if props.get(f) is not None}
        return self.inputs_model.model_validate(given).model_dump(mode="json")


class CloudLinkResource(Resource):
    """Base `Resource`: subclasses set `PROVIDER`, their output names and which inputs are secrets, and
    declare `module="cloudlink", name=...` (the type token: fixed forever, renaming changes identities).

    Every resource is registered the same way, `Cls(name, inputs, opts)`, with the inputs the plan
    (`cloudlink_provider.plan`) computed: plain values and Pulumi outputs of other resources.
    """

    PROVIDER: ClassVar[type[CloudLinkProvider]]
    OUTPUTS: ClassVar[tuple[str, ...]] = ()  # output-only properties (None until the provider sets them)
    SECRET_INPUTS: ClassVar[tuple[str, ...]] = ()  # kept secret in inputs and outputs
    SECRET_OUTPUTS: ClassVar[tuple[str, ...]] = ()

    TOKEN: ClassVar[str]  # the type token without the dynamic prefix: `cloudlink:Account`

    def __init_subclass__(cls, module: str = "", name: str = "Resource", **kwargs: Any) -> None:
        super().__init_subclass__(module=module, name=name, **kwargs)
        cls.TOKEN = f"{module}:{name}" if module else name

    @classmethod
    def token(cls) -> str:
        """The type token without the dynamic prefix: `cloudlink:Account`."""
        return cls.TOKEN

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        props = dict(inputs)
        for key in self.SECRET_INPUTS:
            props[key] = pulumi.Output.secret(props[key])
        props.update({k: None for k in self.OUTPUTS if k not in props})
        secret = [*self.SECRET_INPUTS, *self.SECRET_OUTPUTS]
        if secret:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret))
        super().__init__(self.PROVIDER(), name, props, opts)
