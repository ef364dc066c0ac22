"""Which customer stacks exist, and the one reader and writer of their files (`StackFile`).

Owns discovery, glob selection, the deterministic `--shard i/n` split, and the
stack file `stacks/Pulumi.<customer>.yaml` itself: its provider config, its
customer spec, which keys are `secure:` (`is_secure`, never their values) and its
`encryptionsalt`. A run parses each file once (`StackFile.snapshot()`) and hands
the `StackConfig` on. Nothing else in the project parses or writes that YAML.
Never touches the engine or the network.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..passphrase import Passphrase, SecretsError
from ..plan import NAMESPACE, SECRET_OF_BLOCK
from ..resources import CLIENT_ID_KEY, CLIENT_SECRET_KEY, ENDPOINT_KEY  # the provider's settings: one spelling
from ..yamltext import yaml_problem
from .errors import usage

STACK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,100}$")
CUSTOMER_KEY = f"{NAMESPACE}:customer"
# Config keys in the order a stack file lists them: provider settings, then the spec blocks' secrets.
PROVIDER_KEYS = (ENDPOINT_KEY, CLIENT_ID_KEY, CLIENT_SECRET_KEY)
LEADING_KEYS = (*PROVIDER_KEYS, *(f"{NAMESPACE}:{k}" for k in SECRET_OF_BLOCK.values()))


class _Dumper(yaml.SafeDumper):
    """YAML with multi-line strings (PEM certificates) as literal blocks."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_Dumper.add_representer(str, _str)


class UnreadableStackFile(Exception):
    """A stack file that is missing or not YAML."""


def is_secure(value: Any) -> bool:
    """A `secure:` config value (`{secure: <ciphertext>}`), as the engine writes it."""
    return isinstance(value, dict) and set(value) == {"secure"}


@dataclass(frozen=True)
class StackConfig:
    """One stack file as read once: the parsed content and what the fleet asks of it."""
    name: str
    data: dict[str, Any]

    def config(self) -> dict[str, Any]:
        config = self.data.get("config")
        return config if isinstance(config, dict) else {}

    def spec(self) -> dict[str, Any]:
        """The customer spec (`<project>:customer`) as written, unvalidated."""
        spec = self.config().get(CUSTOMER_KEY)
        return spec if isinstance(spec, dict) else {}

    def secure_keys(self) -> set[str]:
        """The `secure:` config keys (`cloudlink:clientSecret`, ...); no value is decrypted."""
        return {k for k, v in self.config().items() if is_secure(v)}

    def salt(self) -> str | None:
        """The passphrase provider's `encryptionsalt` that the file's `secure:` values are encrypted with."""
        return self.data.get("encryptionsalt")

    def secrets_provider(self) -> str | None:
        """The stack's `secretsprovider` URL (`awskms://...`); None: the default (passphrase here)."""
        provider = self.data.get("secretsprovider")
        return str(provider) if provider else None


@dataclass(frozen=True)
class StackFile:
    """`stacks/Pulumi.<name>.yaml`: read with `load()`, written with `save()`; the accessors read it afresh.

    A file that is missing or not YAML reads as empty: discovery found it by name,
    and the engine is the one to say what is wrong with it.
    """
    stacks_dir: Path
    name: str

    @property
    def path(self) -> Path:
        return self.stacks_dir / f"Pulumi.{self.name}.yaml"

    def exists(self) -> bool:
        return self.path.is_file()

    def read(self) -> dict[str, Any]:
        """The file's content; raises `UnreadableStackFile` when it is missing or not YAML."""
        try:
            data = yaml.safe_load(self.path.read_text())
        except OSError as e:
            raise UnreadableStackFile(f"cannot read stacks/{self.path.name}: {e.strerror or type(e).__name__}") \
                from None
        except yaml.YAMLError as e:  # the file and the place: line and column, as an editor counts them
            raise UnreadableStackFile(f"stacks/{self.path.name} is {yaml_problem(e)}") from None
        return data if isinstance(data, dict) else {}

    def load(self) -> dict[str, Any]:
        """The file's content, {} when it is missing or not YAML."""
        try:
            return self.read()
        except UnreadableStackFile:
            return {}

    def snapshot(self) -> StackConfig:
        """The file read once ({} when it is missing or not YAML)."""
        return StackConfig(self.name, self.load())

    def config(self) -> dict[str, Any]:
        return self.snapshot().config()

    def spec(self) -> dict[str, Any]:
        return self.snapshot().spec()

    def secure_keys(self) -> set[str]:
        return self.snapshot().secure_keys()

    def salt(self) -> str | None:
        return self.snapshot().salt()

    def provider_settings(self, passphrase: Passphrase) -> dict[str, Any]:
        """The provider settings the file sets (`cloudlink:endpoint`, ...), the client secret decrypted;
        a setting it leaves out (the fleet file's then) is absent. Raises `UnreadableStackFile`, ValueError
        (secure values but no salt) or SecretsError naming the key (a wrong passphrase)."""
        data = self.read()
        config = data.get("config") if isinstance(data.get("config"), dict) else {}
        values: dict[str, Any] = {}
        for key in PROVIDER_KEYS:
            value = config.get(key)
            if isinstance(value, dict) and set(value) == {"secure"}:
                if not data.get("encryptionsalt"):
                    raise ValueError(f"stacks/{self.path.name} has secure values but no encryptionsalt")
                try:
                    value = passphrase.decrypt(data["encryptionsalt"], value["secure"])
                except SecretsError as e:
                    raise SecretsError(f"{key}: {e}") from None
            if value not in (None, ""):
                values[key] = value
        return values

    def save(self, data: dict[str, Any], header: str = "") -> None:
        """Write `data` (top-level keys in their order; the config's leading keys first), after `header` comments."""
        config = dict(data.get("config") or {})
        ordered = {k: config[k] for k in LEADING_KEYS if k in config}
        ordered.update({k: v for k, v in config.items() if k not in ordered and k != CUSTOMER_KEY})
        if CUSTOMER_KEY in config:
            ordered[CUSTOMER_KEY] = config[CUSTOMER_KEY]
        body = {k: v for k, v in data.items() if k != "config"}
        body["config"] = ordered
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(header + yaml.dump(body, Dumper=_Dumper, sort_keys=False, default_flow_style=False,
                                                width=100, allow_unicode=True))

    def set_spec(self, spec: dict[str, Any], header: str = "") -> None:
        data = self.load()
        data["config"] = {**(data.get("config") or {}), CUSTOMER_KEY: spec}
        self.save(data, header)


def discover_stacks(stacks_dir: Path, pattern: str = "*") -> list[str]:
    """Stack names from the config files, sorted, optionally filtered by a glob."""
    names = sorted(p.name[len("Pulumi."):-len(".yaml")] for p in stacks_dir.glob("Pulumi.*.yaml"))
    return [n for n in names if fnmatch.fnmatchcase(n, pattern)]


def parse_shard(text: str) -> tuple[int, int]:
    """`"i/n"` -> (i, n), 1 <= i <= n: this job takes shard i of n."""
    match = re.fullmatch(r"\s*(\d+)\s*/\s*(\d+)\s*", text or "")
    if not match:
        raise usage(f"--shard {text!r}: expected i/n, for example 2/4 (shard 2 of 4)")
    index, count = int(match.group(1)), int(match.group(2))
    if count < 1 or not 1 <= index <= count:
        raise usage(f"--shard {text!r}: i must be between 1 and n (n >= 1)")
    return index, count


def shard(names: list[str], index: int, count: int) -> list[str]:
    """Shard `index` of `count` (1-based) of the sorted names: every count-th stack, round-robin.

    Deterministic (it depends only on the sorted list), disjoint, and together the
    shards cover every stack; sizes differ by at most one.
    """
    return [n for k, n in enumerate(sorted(names)) if k % count == index - 1]


def select_stacks(stacks_dir: Path, pattern: str | list[str] | None = "*", shard_spec: str | None = None) -> list[str]:
    """The stacks one fleet command works on: those matching any of the globs (a repeated `--stacks`).
    A glob that matches no stack is bad usage (a typo); an empty shard is not."""
    if not stacks_dir.is_dir():
        raise usage(f"no stacks directory at {stacks_dir} (use --project-dir to point at the project)")
    patterns = [pattern] if isinstance(pattern, str) else list(pattern or ["*"])
    names: list[str] = []
    for glob in patterns:
        matched = discover_stacks(stacks_dir, glob)
        if not matched:
            raise usage(f"no stack in {stacks_dir} matches {glob!r}")
        names += [n for n in matched if n not in names]
    names.sort()
    if shard_spec:
        names = shard(names, *parse_shard(shard_spec))
    return names
