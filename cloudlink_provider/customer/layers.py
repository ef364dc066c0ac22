"""A customer's effective spec: fleet defaults <- profiles <- the customer's own file, with the origin of every value.

The one merge in the project. `effective(fleet, customer)` is pure (no I/O): the
fleet file and the stack file are read above (`cloudlink_provider.fleetfile`,
the engine's stack config) and handed in as plain data, and the Pulumi program,
the drift scan, `fleet import`, `fleet show` and every report call this function.

Rules (the README's "Layering" section):
- layers apply in order: the fleet file's `defaults`, then each profile the
  customer names in `profiles:`, in order (a profile's own `profiles:` apply
  before it), then the customer's own spec; a later layer wins;
- blocks (mappings) merge key by key; lists and plain values are replaced whole;
- an explicit `null` removes the inherited value (the key is then absent);
- labels layer the same way (profiles, then the customer), and are strings.

`validated(eff)` judges the effective spec with the customer model and names,
beside each field, the file (and fleet-file section) its value came from.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import CustomerSpec, SpecError, parse_customer
from .selectors import LabelError, check_labels

Path = tuple[str, ...]


class LayerError(ValueError):
    """A fleet file or customer layer that cannot be merged (unknown profile, cycle, bad labels); one line."""


@dataclass(frozen=True)
class Origin:
    """Where a value came from: the file, and the layer in it (`defaults`, `profile gold`, `customer`)."""
    file: str
    layer: str

    def __str__(self) -> str:
        return self.file if self.layer == "customer" else f"{self.file} {self.layer}"


@dataclass(frozen=True)
class Profile:
    """A named profile of the fleet file: spec values, labels, and the profiles it builds on."""
    spec: Mapping[str, Any] = field(default_factory=dict)
    labels: Mapping[str, Any] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()


@dataclass(frozen=True)
class Fleet:
    """The fleet file's layering content (provider settings are not spec and live elsewhere)."""
    file: str = "stacks/fleet.yaml"
    defaults: Mapping[str, Any] = field(default_factory=dict)
    profiles: Mapping[str, Profile] = field(default_factory=dict)


NO_FLEET = Fleet()


@dataclass(frozen=True)
class CustomerLayer:
    """What a customer's stack file says: its spec, the profiles it opts into, its labels."""
    name: str
    file: str
    spec: Mapping[str, Any] | None
    profiles: Any = None   # a list of profile names, as written (judged here)
    labels: Any = None     # a block of label: value, as written (judged here)


@dataclass
class Effective:
    """A customer's effective spec (unvalidated), labels, and the origin of every value."""
    name: str
    spec: dict[str, Any]
    origins: dict[Path, Origin]        # every leaf (a plain value, a whole list, an empty block)
    labels: dict[str, str]
    label_origins: dict[str, Origin]
    profiles: tuple[str, ...]          # the profiles applied, in order (included ones first)
    removed: dict[Path, Origin] = field(default_factory=dict)  # inherited values an explicit null removed

    def origin_of(self, path: Path) -> list[Origin]:
        """The origins of the value at `path`, or of its nearest ancestor that has one (a list, a block)."""
        for n in range(len(path), 0, -1):
            if path[:n] in self.origins:
                return [self.origins[path[:n]]]
        under = [o for p, o in self.origins.items() if p[:len(path)] == path]
        return list(dict.fromkeys(under))


def _leaves(value: Any, path: Path) -> list[Path]:
    if isinstance(value, Mapping) and value:
        return [leaf for k, v in value.items() for leaf in _leaves(v, (*path, str(k)))]
    return [path]


def _merge(base: dict[str, Any], over: Mapping[str, Any], origin: Origin, origins: dict[Path, Origin],
           removed: dict[Path, Origin], prefix: Path = ()) -> None:
    for key, value in over.items():
        path = (*prefix, str(key))
        below = [p for p in origins if p[:len(path)] == path]
        if value is None:
            if key in base:
                del base[key]
                removed[path] = origin
            for p in below:
                del origins[p]
        elif isinstance(value, Mapping) and isinstance(base.get(key), dict):
            _merge(base[key], value, origin, origins, removed, path)
        else:
            base[key] = copy.deepcopy(dict(value) if isinstance(value, Mapping) else value)
            for p in below:
                del origins[p]
            for leaf in _leaves(value, path):
                origins[leaf] = origin
            removed.pop(path, None)


def _profile_order(fleet: Fleet, wanted: tuple[str, ...], where: str) -> list[str]:
    """The profiles to apply, in order: each profile's own `profiles:` first; unknown names and cycles refused."""
    order: list[str] = []

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in chain:
            raise LayerError(f"{fleet.file}: profile cycle {' -> '.join((*chain, name))}")
        if name not in fleet.profiles:
            known = ", ".join(sorted(fleet.profiles)) or "none"
            whose = f"profile {chain[-1]}" if chain else where
            raise LayerError(f"{whose}: unknown profile {name!r} (the profiles in {fleet.file}: {known})")
        for inner in fleet.profiles[name].profiles:
            visit(inner, (*chain, name))
        if name not in order:
            order.append(name)

    for name in wanted:
        visit(name, ())
    return order


def profile_names(value: Any, where: str) -> tuple[str, ...]:
    """A `profiles:` entry as written -> the names; a list of strings (or one string)."""
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise LayerError(f"{where}: profiles must be a list of profile names, like [gold, eu-mivb]")
    return tuple(value)


def effective(fleet: Fleet | None, customer: CustomerLayer) -> Effective:
    """fleet defaults <- profiles (in order) <- customer: the effective spec, labels and origins. Pure.

    Raises `LayerError` (one line naming the file) for an unknown profile, a
    profile cycle, a `profiles:` that is not a list of names, a label value that
    is not a string, or a spec that is not a block.
    """
    fleet = fleet or NO_FLEET
    where = f"{customer.file} profiles"
    names = _profile_order(fleet, profile_names(customer.profiles, where), where)
    spec: dict[str, Any] = {}
    origins: dict[Path, Origin] = {}
    removed: dict[Path, Origin] = {}
    labels: dict[str, Any] = {}
    label_origins: dict[Path, Origin] = {}
    layers: list[tuple[Origin, Mapping[str, Any], Any]] = [(Origin(fleet.file, "defaults"), fleet.defaults, None)]
    layers += [(Origin(fleet.file, f"profile {n}"), fleet.profiles[n].spec, fleet.profiles[n].labels) for n in names]
    if customer.spec is not None and not isinstance(customer.spec, Mapping):
        raise LayerError(f"{customer.file}: the customer spec must be a block of keys, not "
                         f"{type(customer.spec).__name__}")
    layers.append((Origin(customer.file, "customer"), customer.spec or {}, customer.labels))
    for origin, layer_spec, layer_labels in layers:
        _merge(spec, layer_spec, origin, origins, removed)
        try:
            judged = check_labels(layer_labels, str(origin) + " labels")
        except LabelError as e:
            raise LayerError(str(e)) from None
        _merge(labels, judged, origin, label_origins, {})
    return Effective(name=customer.name, spec=spec, origins=origins, labels=labels,
                     label_origins={p[0]: o for p, o in label_origins.items()}, profiles=tuple(names),
                     removed=removed)


def _path_of(problem_path: str) -> Path:
    parts: list[str] = []
    for chunk in problem_path.replace("[", ".[").split("."):
        if chunk and not chunk.startswith("["):
            parts.append(chunk)
        elif chunk.startswith("["):
            break  # lists are replaced whole: the list's origin answers for its items
    return tuple(parts)


def problem_origins(eff: Effective, problem: str) -> tuple[list[Origin], bool]:
    """Where the value a problem line ("customer.path: rule") judges came from: (origins, set). A value
    that is missing (`set` False) answers with the origins of the block it is missing from."""
    field_text = problem.partition(": ")[0]
    path = _path_of(field_text.removeprefix("customer").lstrip("."))
    if not path:
        return [], False
    origins = eff.origin_of(path)
    if origins:
        return origins, True
    for n in range(len(path) - 1, 0, -1):
        origins = eff.origin_of(path[:n])
        if origins:
            return origins, False
    return [], False


def with_origins(eff: Effective, error: SpecError) -> SpecError:
    """The same problems, each naming the file (and fleet-file layer) its value came from."""
    lines = []
    for problem in error.problems:
        field_text, _, rule = problem.partition(": ")
        origins, is_set = problem_origins(eff, problem)
        if not _path_of(field_text.removeprefix("customer").lstrip(".")):  # the spec as a whole
            lines.append(problem)
            continue
        named = ", ".join(str(o) for o in origins)
        if is_set:
            where = f"from {named}"
        elif origins:
            where = f"not set; its block comes from {named}"
        else:
            where = "not set in any layer"
        lines.append(f"{field_text} ({where}): {rule}")
    return SpecError(lines)


def fleet_caused(eff: Effective, error: SpecError, fleet_file: str) -> list[str]:
    """The problems the fleet file alone causes (every origin of the judged value, or of the block a
    missing value belongs to, is the fleet file), formatted with their origins: a fleet-wide mistake."""
    out = []
    for raw, line in zip(error.problems, with_origins(eff, error).problems):
        origins, _ = problem_origins(eff, raw)
        if origins and all(o.file == fleet_file for o in origins):
            out.append(line)
    return out


def validated(eff: Effective) -> CustomerSpec:
    """The effective spec judged by the customer model; a `SpecError` names each field's file."""
    try:
        return parse_customer(eff.spec)
    except SpecError as e:
        raise with_origins(eff, e) from None


def compact(eff_without: Effective, wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The smallest customer spec that, layered over what the fleet gives (`eff_without`: the effective
    spec with an empty customer spec), yields `wanted`: values equal to the inherited ones are left out,
    inherited values `wanted` lacks are removed with an explicit null."""
    return _diff(eff_without.spec, dict(wanted))


def _diff(base: Mapping[str, Any], want: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in want.items():
        if key not in base:
            out[key] = copy.deepcopy(value)
        elif isinstance(value, Mapping) and isinstance(base[key], Mapping):
            inner = _diff(base[key], value)
            if inner:
                out[key] = inner
        elif value != base[key]:
            out[key] = copy.deepcopy(value)
    for key in base:
        if key not in want:
            out[key] = None
    return out


def flat(eff: Effective) -> list[tuple[str, Any, Origin]]:
    """Every leaf as (path text, value, origin), in spec order: what `fleet show` prints."""
    out = []
    order = {name: i for i, name in enumerate(CustomerSpec.model_fields)}
    for path in sorted(_leaves(eff.spec, ()), key=lambda p: order.get(p[0], len(order)) if p else -1):
        value: Any = eff.spec
        for p in path:
            value = value[p]
        if path:
            out.append((".".join(path), value, eff.origins.get(path, Origin(eff.name, "?"))))
    return out


def _short(value: Any, limit: int = 60) -> str:
    text = value if isinstance(value, str) else repr(value)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def spec_changes(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[str]:
    """What differs between two effective specs, one line per value: `account.languageCode es-ES -> ca-ES`."""
    def values(spec: Mapping[str, Any] | None) -> dict[Path, Any]:
        out: dict[Path, Any] = {}
        for path in _leaves(spec or {}, ()):
            value: Any = spec
            for p in path:
                value = value[p]
            if path:
                out[path] = value
        return out

    before, after = values(old), values(new)
    lines = []
    for path in list(dict.fromkeys([*after, *before])):
        a, b = before.get(path, _ABSENT), after.get(path, _ABSENT)
        if a != b:
            lines.append(f"{'.'.join(path)} {'(unset)' if a is _ABSENT else _short(a)} -> "
                         f"{'(unset)' if b is _ABSENT else _short(b)}")
    return lines


_ABSENT = object()
