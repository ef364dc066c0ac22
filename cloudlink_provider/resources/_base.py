"""What every CloudLink dynamic provider shares: configuration, the client, check and diff.

Pulumi pickles a provider instance (dill) into the state, so providers hold only
plain data and are defined in importable modules (never `__main__`): the state
then stores a reference to the class, and upgrading this package does not
produce `__provider` diffs. The client is built once per provider process, from
the stack config that the engine hands dynamic providers in `configure()`.

Also shared: one registration shape for every resource (`CloudLinkResource(name,
inputs)`, with the inputs the plan computed), and one way to fail: whatever
CloudLink (or a provider) refuses leaves create/read/update/delete as a single
`CloudLinkRefused` line naming the resource, the operation, the API's error and
the correlation id, without Python frames unless `CLOUDLINK_DEBUG` is set.
"""

from __future__ import annotations

import functools
import os
import sys
import threading
from typing import Any, Callable, ClassVar

import pulumi
from pulumi.output import Unknown
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, DiffResult, Resource, ResourceProvider
from pydantic import BaseModel, ValidationError

from ..client import ApiError, ClientConfig, CloudLink, CloudLinkError
from ..customer.model import located_problems

UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"  # how the engine marks a value not known during preview
DEBUG_ENV = "CLOUDLINK_DEBUG"  # set (to anything but "" or "0") to see full Python tracebacks from providers


def debugging() -> bool:
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


class CloudLinkRefused(Exception):
    """A provider operation CloudLink refused (or we refused for it), as the one line a partner reads:
    `Gateway create: CloudLink refused: 409 GatewayAlreadyAssociated: ... (correlation id 7f3...)`."""


# The dynamic-provider shim reports a failure as `traceback.format_exc()`; printed from "builtins",
# the exception shows as `CloudLinkRefused: <line>` rather than under its module path.
CloudLinkRefused.__module__ = "builtins"


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


def client_config(config: Any) -> ClientConfig:
    """ClientConfig from the stack config (`cloudlink:*`), falling back to CLOUDLINK_* environment variables."""
    def setting(key: str, env: str) -> str | None:
        value = config.get(f"cloudlink:{key}") if config is not None else None
        return value if value not in (None, "") else os.environ.get(env)

    endpoint = setting("endpoint", "CLOUDLINK_ENDPOINT")
    client_id = setting("clientId", "CLOUDLINK_CLIENT_ID")
    secret = setting("clientSecret", "CLOUDLINK_CLIENT_SECRET")
    missing = [k for k, v in (("cloudlink:endpoint", endpoint), ("cloudlink:clientId", client_id),
                              ("cloudlink:clientSecret", secret)) if not v]
    if missing:
        raise ValueError(f"missing provider configuration: {', '.join(missing)} "
                         "(pulumi config set ..., with --secret for the client secret)")
    return ClientConfig(endpoint=endpoint, client_id=client_id, client_secret=secret)  # type: ignore[arg-type]


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
    """Base provider: subclasses set `inputs_model`, `replace_on`, and implement create/read/update/delete."""

    inputs_model: ClassVar[type[BaseModel]]
    replace_on: ClassVar[frozenset[str]] = frozenset()  # input fields that force replacement
    delete_before_replace: ClassVar[bool] = False  # the backend allows only one at a time
    write_only: ClassVar[tuple[str, ...]] = ()  # inputs CloudLink never returns: no drift check can see them
    serialize_as_secret_always = False  # nothing secret is pickled: the provider holds no data

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        resource = cls.__name__.removesuffix("Provider")
        for op in ("create", "read", "update", "delete"):
            if op in cls.__dict__:
                setattr(cls, op, _one_line_failures(resource, op, cls.__dict__[op]))

    def configure(self, req: ConfigureRequest) -> None:
        # Only the provider process configures providers: there a failure is one line for the partner
        # (`CloudLinkRefused: ...`), no Python frames, unless CLOUDLINK_DEBUG asks for them.
        if not debugging():
            sys.tracebacklimit = 0
        self._config = client_config(req.config)

    @property
    def client(self) -> CloudLink:
        config = getattr(self, "_config", None) or client_config(None)
        return shared_client(config)

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

    @classmethod
    def token(cls) -> str:
        """The type token without the dynamic prefix: `cloudlink:Account`."""
        return cls._resource_type_name.split("/", 1)[-1]

    def __init__(self, name: str, inputs: dict[str, Any], opts: pulumi.ResourceOptions | None = None):
        props = dict(inputs)
        for key in self.SECRET_INPUTS:
            props[key] = pulumi.Output.secret(props[key])
        props.update({k: None for k in self.OUTPUTS if k not in props})
        secret = [*self.SECRET_INPUTS, *self.SECRET_OUTPUTS]
        if secret:
            opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=secret))
        super().__init__(self.PROVIDER(), name, props, opts)
