"""The fleet's side of layering: each customer's effective spec and labels, read from the files, judged up front.

The merge itself is `customer.layers.effective` (pure; the program calls the same
function). Here: reading the fleet file once (`fleetfile.FleetFile`) and each stack
file through `StackFile`, `--select` (labels), the pre-flight check that stops a
fleet command before any engine or API call when the input is bad (point 7 of
issue 17: a broken fleet file, an unknown profile or a cycle, a non-string label,
a fleet default that makes customers invalid, a fleet secret the passphrase cannot
open), and the fleet file's provider settings for the scan and the coverage.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..customer.layers import CustomerLayer, Effective, LayerError, effective, fleet_caused, validated
from ..customer.model import CustomerSpec, SpecError, parse_customer
from ..customer.rules import PBX_MODELS
from ..customer.selectors import Selector, SelectorError, parse_selector
from ..fleetfile import CUSTOMER_KEY, PROVIDER_KEYS, FleetContent, FleetFile, FleetFileError, customer_layer
from ..passphrase import Passphrase
from .errors import FleetError, usage
from .stacks import StackFile


def selector_of(text: str | None) -> Selector | None:
    """`--select TEXT` -> a Selector (None when not given); a bad selector is bad usage, one line."""
    if text is None:
        return None
    try:
        return parse_selector(text)
    except SelectorError as e:
        raise usage(str(e)) from None


@dataclass
class Layering:
    """One project's layers: `stacks/fleet.yaml` read once, each customer's stack file on demand."""
    stacks_dir: Path
    _content: FleetContent | None = field(default=None, repr=False)
    _settings: dict[str, str] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def fleet_file(self) -> FleetFile:
        return FleetFile(self.stacks_dir)

    def content(self) -> FleetContent:
        """The fleet file (an empty fleet when there is none); a broken one is bad input (exit 2)."""
        with self._lock:
            if self._content is None:
                try:
                    self._content = self.fleet_file.read()
                except FleetFileError as e:
                    raise usage(str(e)) from None
            return self._content

    def layer(self, name: str, config: Mapping[str, Any] | None = None) -> CustomerLayer:
        """The customer's own layer, from `config` (a stack's config as read) or its stack file."""
        if config is None:
            config = StackFile(self.stacks_dir, name).config()
        return customer_layer(name, config, f"{self.stacks_dir.name}/Pulumi.{name}.yaml")

    def effective(self, name: str, config: Mapping[str, Any] | None = None) -> Effective:
        """fleet defaults <- profiles <- the customer (raises `LayerError`)."""
        return effective(self.content().fleet, self.layer(name, config))

    def spec(self, name: str, config: Mapping[str, Any] | None = None) -> CustomerSpec:
        """The validated effective spec (raises `LayerError` or `SpecError`, each naming the file)."""
        return validated(self.effective(name, config))

    def spec_data(self, name: str, config: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The effective spec as plain data ({} when the layers cannot be merged): for notes and reports."""
        try:
            return self.effective(name, config).spec
        except (LayerError, FleetError):
            return {}

    def capacity(self, name: str, onboarded: int | None = None) -> dict[str, Any] | None:
        """How much of its PBX's user capacity a customer uses: {used, max, pbx, of} (used: the users the last
        `up` onboarded, of `onboarded`; else the spec's `pbx.users`, of `planned`); None without a PBX or when
        the spec cannot be read."""
        pbx = self.spec_data(name).get("pbx")
        if not isinstance(pbx, Mapping) or pbx.get("type") not in PBX_MODELS:
            return None
        model = PBX_MODELS[pbx["type"]]
        if isinstance(onboarded, int):
            return {"used": onboarded, "max": model.max_users, "pbx": model.title, "of": "onboarded"}
        planned = pbx.get("users")
        return {"used": planned if isinstance(planned, int) else 0, "max": model.max_users, "pbx": model.title,
                "of": "planned"}

    def labels(self, name: str) -> dict[str, str]:
        """The customer's labels ({} when its layers cannot be merged: the run reports why)."""
        try:
            return dict(self.effective(name).labels)
        except LayerError:
            return {}

    def select(self, names: Iterable[str], selector: Selector | None) -> list[str]:
        """The names whose labels match (all of them without a selector); bad labels are bad input."""
        names = list(names)
        if selector is None:
            return names
        picked, problems = [], []
        for name in names:
            try:
                labels = self.effective(name).labels
            except LayerError as e:
                problems.append(f"{name}: {e}")
                continue
            if selector(labels):
                picked.append(name)
        if problems:
            raise usage("cannot select by labels; nothing was run:\n" + "\n".join(f"  {p}" for p in problems))
        return picked

    def provider_settings(self, passphrase: Passphrase | None) -> dict[str, str]:
        """The fleet file's provider block (`cloudlink:<key>` -> value, the secret decrypted), once."""
        with self._lock:
            if self._settings is None:
                try:
                    self._settings = self.fleet_file.provider_settings(passphrase)
                except FleetFileError as e:
                    raise usage(str(e)) from None
            return self._settings

    def preflight(self, names: Iterable[str], passphrase: Passphrase | None, judge_specs: bool = True) -> None:
        """Stop before any engine or API call when the input is bad; one line per customer, naming the file.

        Refused: a fleet file that does not read; layers that do not merge (unknown profile, cycle, a
        label that is not a string); a value from the fleet file that makes a customer invalid (a
        customer's own mistakes stay that customer's failure in the report); the fleet file's client
        secret, when a customer needs it and the passphrase cannot open it.
        """
        content = self.content()
        problems: list[str] = []
        needs_fleet_credentials = False
        for name in names:
            config = StackFile(self.stacks_dir, name).config()
            if any(config.get(f"cloudlink:{k}") in (None, "") for k in PROVIDER_KEYS):
                needs_fleet_credentials = True
            if CUSTOMER_KEY not in config:
                continue  # the run says "this stack has no customer spec"
            try:
                eff = self.effective(name, config)
                if judge_specs:
                    parse_customer(eff.spec)
            except LayerError as e:
                problems.append(f"{name}: {e}")
            except SpecError as e:
                problems += [f"{name}: {p}" for p in fleet_caused(eff, e, content.fleet.file)]
        if problems:
            raise usage("bad input, nothing was run:\n" + "\n".join(f"  {p}" for p in problems))
        if needs_fleet_credentials and "clientSecret" in content.provider:
            self.provider_settings(passphrase)


_LAYERINGS: dict[Path, tuple[float, Layering]] = {}
_LAYERINGS_LOCK = threading.Lock()


def layering_for(stacks_dir: Path) -> Layering:
    """The project's `Layering`, shared within a process while its fleet file is unchanged."""
    key = stacks_dir.resolve()
    try:
        stamp = FleetFile(stacks_dir).path.stat().st_mtime
    except OSError:
        stamp = -1.0
    with _LAYERINGS_LOCK:
        cached = _LAYERINGS.get(key)
        if cached is None or cached[0] != stamp:
            cached = (stamp, Layering(stacks_dir))
            _LAYERINGS[key] = cached
        return cached[1]


def choose(stacks_dir: Path, pattern: str | list[str] | None = "*", shard_spec: str | None = None, select: str | None = None) -> list[str]:
    """The stacks a fleet command works on: the --stacks glob, then the --select labels, then the --shard split
    (so shards divide what is selected evenly). A selector that matches nothing is bad usage, like a glob."""
    from .stacks import parse_shard, select_stacks, shard

    names = select_stacks(stacks_dir, pattern)
    selector = selector_of(select)
    if selector is not None:
        names = layering_for(stacks_dir).select(names, selector)
        if not names:
            raise usage(f"no customer matches --select {select!r}" + (f" among {pattern!r}" if pattern not in ("*", None, ["*"]) else ""))
    if shard_spec:
        names = shard(names, *parse_shard(shard_spec))
    return names


SECRET_TEXT = "[secret]"


def describe(stacks_dir: Path, name: str) -> dict[str, Any]:
    """`cloudlink fleet show NAME` as data: the effective spec, labels, provider settings and secrets, each
    value with where it came from; secrets as `[secret]` (nothing is decrypted). Raises FleetError (exit 2)
    for an unknown customer or layers that do not merge."""
    from ..customer.layers import flat

    file = StackFile(stacks_dir, name)
    if not file.exists():
        raise usage(f"no customer {name!r}: {stacks_dir.name}/Pulumi.{name}.yaml does not exist")
    layering = layering_for(stacks_dir)
    content = layering.content()
    try:
        eff = layering.effective(name)
    except LayerError as e:
        raise usage(str(e)) from None
    own_file = f"{stacks_dir.name}/Pulumi.{name}.yaml"
    config = file.config()
    provider: dict[str, dict[str, Any]] = {}
    for key in PROVIDER_KEYS:
        secret = key == "clientSecret"
        if config.get(f"cloudlink:{key}") not in (None, ""):
            value, origin = config[f"cloudlink:{key}"], own_file
        elif content.provider.get(key) is not None:
            value, origin = content.provider[key], f"{content.fleet.file} provider"
        else:
            continue
        provider[key] = {"value": SECRET_TEXT if secret or isinstance(value, dict) else value, "from": origin}
    secrets = {k: {"value": SECRET_TEXT, "from": own_file} for k in sorted(file.secure_keys())
               if not k.startswith("cloudlink:")}
    problems: list[str] = []
    if config.get(CUSTOMER_KEY) is None:
        problems.append(f"{own_file}: no customer spec (`{CUSTOMER_KEY}`)")
    else:
        try:
            validated(eff)
        except SpecError as e:
            problems = list(e.problems)
    return {
        "customer": name, "file": own_file, "fleetFile": content.fleet.file if layering.fleet_file.exists() else None,
        "profiles": list(eff.profiles),
        "labels": {k: {"value": v, "from": str(eff.label_origins[k])} for k, v in sorted(eff.labels.items())},
        "provider": provider, "secrets": secrets,
        "spec": {path: {"value": value, "from": str(origin)} for path, value, origin in flat(eff)},
        "removed": {".".join(p): str(o) for p, o in eff.removed.items()},
        "effective": eff.spec, "valid": not problems, "problems": problems,
    }
