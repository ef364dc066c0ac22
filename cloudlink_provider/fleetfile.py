"""The fleet file, `stacks/fleet.yaml`: its one reader and writer, and a customer's layers read from config.

The fleet file sits beside the stack files (in Pulumi.yaml's `stackConfigDir`) and
holds what every customer shares:

    encryptionsalt: v1:...            # passphrase secrets manager state, as in a stack file
    provider:                         # fleet-wide provider settings (a stack's own cloudlink:* win)
      endpoint: https://{service}.api.mitel.io/2017-09-01
      clientId: my-partner-client
      clientSecret: {secure: v1:...}  # encrypted with the passphrase, never plaintext
    defaults: {...}                   # any customer spec field
    profiles:                         # opted into by `cloudlink-fleet:profiles: [gold, eu-mivb]`
      gold: {labels: {tier: gold}, profiles: [base], spec: {...}}
    notifications:                    # where `fleet drift` says what is new (fleet/notify/)
      - name: ops-teams
        type: teams                   # teams | slack | webhook
        url: {secure: v1:...}         # the webhook URL, encrypted: `cloudlink fleet set-notification-url`
        on: [new-drift, new-failure, resolved]   # the default; also `drift`, `failure` (every one, new or not)
        select: tier=gold             # optional: only these customers (a --select label selector)
        timeoutSeconds: 10            # optional: per attempt (3 attempts at most)

A stack file opts in with the config keys `cloudlink-fleet:profiles` and
`cloudlink-fleet:labels` beside `cloudlink-fleet:customer`. The merge itself is the
pure `cloudlink_provider.customer.layers.effective`; this module only reads files and
decrypts the fleet secret (with the passphrase the engine uses). It is read the same
way by the Pulumi program, the dynamic providers (which find it from their working
directory, the project directory) and the fleet tools (given the project directory).
Errors are one line naming the file (`FleetFileError`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .customer.layers import CustomerLayer, Fleet, Profile
from .customer.selectors import SelectorError, parse_selector
from .passphrase import Passphrase, SecretsError, passphrase_from

FLEET_FILE = "fleet.yaml"
NAMESPACE = "cloudlink-fleet"  # the project's config namespace (Pulumi.yaml's name)
CUSTOMER_KEY, PROFILES_KEY, LABELS_KEY = f"{NAMESPACE}:customer", f"{NAMESPACE}:profiles", f"{NAMESPACE}:labels"
PROVIDER_KEYS = ("endpoint", "clientId", "clientSecret")  # `cloudlink:<key>` in a stack file
SECRET_PROVIDER_KEYS = ("clientSecret",)
TOP_KEYS = ("encryptionsalt", "provider", "defaults", "profiles", "notifications")
PROFILE_KEYS = ("spec", "labels", "profiles")
NOTIFICATION_KEYS = ("name", "type", "url", "on", "select", "timeoutSeconds")
NOTIFICATION_TYPES = ("teams", "slack", "webhook")
NOTIFICATION_EVENTS = ("new-drift", "new-failure", "resolved", "drift", "failure")
DEFAULT_NOTIFICATION_EVENTS = ("new-drift", "new-failure", "resolved")


class FleetFileError(ValueError):
    """A fleet file that cannot be read, has the wrong shape, or whose secret the passphrase cannot open."""


def stacks_dir_of(project_dir: Path) -> Path:
    """Where the stack files live: Pulumi.yaml's `stackConfigDir`, else the project directory."""
    try:
        project = yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}
    except (OSError, yaml.YAMLError):
        project = {}
    sub = project.get("stackConfigDir") if isinstance(project, dict) else None
    return project_dir / sub if isinstance(sub, str) and sub else project_dir


class _Dumper(yaml.SafeDumper):
    """YAML with multi-line strings (PEM certificates) as literal blocks."""


_Dumper.add_representer(str, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v,
                                                             style="|" if "\n" in v else None))


@dataclass(frozen=True)
class Notification:
    """One notification target as the fleet file writes it; `sealed_url` is the encrypted URL (or None: not set)."""
    name: str
    type: str
    sealed_url: str | None
    on: tuple[str, ...] = DEFAULT_NOTIFICATION_EVENTS
    select: str | None = None
    timeout_s: float = 10.0
    where: str = ""  # `stacks/fleet.yaml: notifications[0] (ops-teams)`, for messages


@dataclass(frozen=True)
class FleetContent:
    """What a fleet file says: the layering content, the provider settings as written, the salt, the
    notification targets."""
    fleet: Fleet
    provider: Mapping[str, Any] = field(default_factory=dict)
    salt: str | None = None
    notifications: tuple[Notification, ...] = ()


@dataclass(frozen=True)
class FleetFile:
    """`<stacks dir>/fleet.yaml`. `read()` judges its shape; a missing file reads as an empty fleet."""
    stacks_dir: Path

    @property
    def path(self) -> Path:
        return self.stacks_dir / FLEET_FILE

    @property
    def label(self) -> str:
        """How messages and origins name the file: relative to the project (`stacks/fleet.yaml`)."""
        return f"{self.stacks_dir.name}/{FLEET_FILE}" if self.stacks_dir.name else FLEET_FILE

    def exists(self) -> bool:
        return self.path.is_file()

    def load(self) -> dict[str, Any]:
        """The raw content ({} when the file does not exist); raises `FleetFileError` when it is not YAML."""
        if not self.exists():
            return {}
        try:
            data = yaml.safe_load(self.path.read_text())
        except (OSError, yaml.YAMLError) as e:
            raise FleetFileError(f"{self.label}: cannot read it: {type(e).__name__} "
                                 f"{' '.join(str(e).split())[:160]}") from None
        if data is None:
            return {}
        if not isinstance(data, dict):
            raise FleetFileError(f"{self.label}: expected a block of {', '.join(TOP_KEYS)}")
        for entry in data.get("notifications") or []:  # YAML 1.1 reads a bare `on:` key as true
            if isinstance(entry, dict) and True in entry and "on" not in entry:
                entry["on"] = entry.pop(True)
        return data

    def read(self) -> FleetContent:
        data = self.load()
        bad = [k for k in data if k not in TOP_KEYS]
        if bad:
            raise FleetFileError(f"{self.label}: unknown key {bad[0]!r} (the fleet file holds "
                                 f"{', '.join(TOP_KEYS)})")
        provider = self._block(data, "provider")
        wrong = [k for k in provider if k not in PROVIDER_KEYS]
        if wrong:
            raise FleetFileError(f"{self.label}: provider.{wrong[0]}: unknown key (the provider block holds "
                                 f"{', '.join(PROVIDER_KEYS)})")
        for key in SECRET_PROVIDER_KEYS:
            value = provider.get(key)
            if value is not None and not (isinstance(value, dict) and isinstance(value.get("secure"), str)):
                raise FleetFileError(f"{self.label}: provider.{key} must be encrypted ({key}: {{secure: v1:...}}), "
                                     "never plaintext: write it with `cloudlink fleet set-client-secret`")
        profiles: dict[str, Profile] = {}
        for name, body in self._block(data, "profiles").items():
            where = f"{self.label}: profiles.{name}"
            if body is None:
                body = {}
            if not isinstance(body, dict):
                raise FleetFileError(f"{where}: expected a block of {', '.join(PROFILE_KEYS)}")
            extra = [k for k in body if k not in PROFILE_KEYS]
            if extra:
                raise FleetFileError(f"{where}.{extra[0]}: unknown key (a profile holds {', '.join(PROFILE_KEYS)}; "
                                     "spec values go under spec:)")
            spec = body.get("spec") or {}
            if not isinstance(spec, dict):
                raise FleetFileError(f"{where}.spec: expected a block of customer spec keys")
            inner = body.get("profiles") or []
            if isinstance(inner, str):
                inner = [inner]
            if not isinstance(inner, list) or not all(isinstance(p, str) for p in inner):
                raise FleetFileError(f"{where}.profiles: expected a list of profile names")
            profiles[str(name)] = Profile(spec=spec, labels=body.get("labels"), profiles=tuple(inner))
        defaults = self._block(data, "defaults")
        salt = data.get("encryptionsalt")
        return FleetContent(Fleet(self.label, defaults, profiles), provider, salt if isinstance(salt, str) else None,
                            self._notifications(data.get("notifications")))

    def _notifications(self, value: Any) -> tuple[Notification, ...]:
        """The `notifications:` list, judged entry by entry: each error is one line naming the file and field."""
        if value is None:
            return ()
        if not isinstance(value, list):
            raise FleetFileError(f"{self.label}: notifications: expected a list of targets "
                                 f"({', '.join(NOTIFICATION_KEYS)}), not {type(value).__name__}")
        out: list[Notification] = []
        for i, entry in enumerate(value):
            where = f"{self.label}: notifications[{i}]"
            if not isinstance(entry, dict):
                raise FleetFileError(f"{where}: expected a block of {', '.join(NOTIFICATION_KEYS)}")
            extra = [k for k in entry if k not in NOTIFICATION_KEYS]
            if extra:
                raise FleetFileError(f"{where}.{extra[0]}: unknown key (a notification holds "
                                     f"{', '.join(NOTIFICATION_KEYS)})")
            name = entry.get("name")
            if not isinstance(name, str) or not name.strip():
                raise FleetFileError(f"{where}.name: give the target a name (it names the target in reports "
                                     "and in `cloudlink fleet set-notification-url NAME`)")
            if name in (n.name for n in out):
                raise FleetFileError(f"{where}.name: {name!r} is used twice")
            kind = entry.get("type")
            if kind not in NOTIFICATION_TYPES:
                raise FleetFileError(f"{where}.type: {kind!r} is not one of {', '.join(NOTIFICATION_TYPES)}")
            url = entry.get("url")
            if url is not None and not (isinstance(url, dict) and isinstance(url.get("secure"), str)):
                raise FleetFileError(f"{where}.url must be encrypted (url: {{secure: v1:...}}), never plaintext: "
                                     f"write it with `cloudlink fleet set-notification-url {name}`")
            on = entry.get("on", list(DEFAULT_NOTIFICATION_EVENTS))
            if isinstance(on, str):
                on = [on]
            if not isinstance(on, list) or not on or not all(isinstance(e, str) for e in on):
                raise FleetFileError(f"{where}.on: expected a list of events ({', '.join(NOTIFICATION_EVENTS)})")
            wrong = [e for e in on if e not in NOTIFICATION_EVENTS]
            if wrong:
                raise FleetFileError(f"{where}.on: {wrong[0]!r} is not one of {', '.join(NOTIFICATION_EVENTS)}")
            select = entry.get("select")
            if select is not None:
                if not isinstance(select, str):
                    raise FleetFileError(f"{where}.select: expected a label selector like 'tier=gold'")
                try:
                    parse_selector(select)
                except SelectorError as e:
                    raise FleetFileError(f"{where}.select: {e}") from None
            timeout = entry.get("timeoutSeconds", 10)
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not 0 < timeout <= 120:
                raise FleetFileError(f"{where}.timeoutSeconds: expected a number of seconds between 0 and 120")
            out.append(Notification(name, kind, url["secure"] if url else None, tuple(dict.fromkeys(on)), select,
                                    float(timeout), f"{where} ({name})"))
        return tuple(out)

    def notification_urls(self, passphrase: Passphrase | None) -> list[tuple[Notification, str]]:
        """Every notification target with its URL decrypted. Raises `FleetFileError` (one line naming the file
        and the field) when a URL is missing or cannot be decrypted: judged before a command runs."""
        content = self.read()
        out = []
        for target in content.notifications:
            field_name = f"notifications[{content.notifications.index(target)}].url"
            if target.sealed_url is None:
                raise FleetFileError(f"{self.label}: {field_name}: no URL for {target.name!r}; write it with "
                                     f"`cloudlink fleet set-notification-url {target.name}`")
            url = self._open(content, field_name, target.sealed_url, passphrase)
            if not url.startswith(("https://", "http://")):
                raise FleetFileError(f"{self.label}: {field_name}: the URL of {target.name!r} is not an "
                                     "http(s) URL")
            out.append((target, url))
        return out

    def _block(self, data: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = data.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise FleetFileError(f"{self.label}: {key}: expected a block of keys, not {type(value).__name__}")
        return value

    def provider_settings(self, passphrase: Passphrase | None) -> dict[str, str]:
        """The provider block as `cloudlink:<key>` -> value, the client secret decrypted.

        Raises `FleetFileError` when the secret cannot be decrypted (no passphrase, a wrong one, a bad salt)."""
        content = self.read()
        out: dict[str, str] = {}
        for key, value in content.provider.items():
            if value is None:
                continue
            if key in SECRET_PROVIDER_KEYS:
                out[f"cloudlink:{key}"] = self.decrypt(content, key, passphrase)
            else:
                out[f"cloudlink:{key}"] = str(value)
        return out

    def decrypt(self, content: FleetContent, key: str, passphrase: Passphrase | None) -> str:
        return self._open(content, f"provider.{key}", content.provider[key]["secure"], passphrase)

    def _open(self, content: FleetContent, field_name: str, sealed: str, passphrase: Passphrase | None) -> str:
        """One encrypted value of this file, or a FleetFileError naming the file and the field."""
        if passphrase is None:
            raise FleetFileError(f"{self.label}: {field_name} is encrypted; set PULUMI_CONFIG_PASSPHRASE "
                                 "(or PULUMI_CONFIG_PASSPHRASE_FILE) to the fleet's passphrase")
        if not content.salt:
            raise FleetFileError(f"{self.label}: {field_name} is encrypted but the file has no encryptionsalt")
        try:
            return passphrase.decrypt(content.salt, sealed)
        except SecretsError as e:
            raise FleetFileError(f"{self.label}: {field_name} cannot be decrypted: {e}") from None

    def save(self, data: Mapping[str, Any], header: str = "") -> None:
        """Write the file: top-level keys in their documented order."""
        body = {k: data[k] for k in TOP_KEYS if data.get(k) not in (None, {})}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(header + yaml.dump(body, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                                                width=100, allow_unicode=True))


def customer_layer(name: str, config: Mapping[str, Any], file: str) -> CustomerLayer:
    """A customer's own layer from its stack config (`cloudlink-fleet:customer`, `:profiles`, `:labels`)."""
    return CustomerLayer(name=name, file=file, spec=config.get(CUSTOMER_KEY), profiles=config.get(PROFILES_KEY),
                         labels=config.get(LABELS_KEY))


_PROCESS_SETTINGS: dict[Path, dict[str, str]] = {}


def project_provider_settings(project_dir: Path | None = None,
                              env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The fleet file's provider settings for the project in `project_dir` (default: the working directory,
    which is the project directory for the program and the dynamic providers the engine starts).
    {} when there is no fleet file; read and decrypted once per process."""
    project_dir = (project_dir or Path.cwd()).resolve()
    if project_dir not in _PROCESS_SETTINGS:
        file = FleetFile(stacks_dir_of(project_dir))
        if not file.exists():
            return {}
        phrase = passphrase_from(os.environ if env is None else env)
        _PROCESS_SETTINGS[project_dir] = file.provider_settings(Passphrase(phrase) if phrase is not None else None)
    return _PROCESS_SETTINGS[project_dir]
