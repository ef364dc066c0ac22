"""Pulumi's own facts, on the ground floor: what the engine and its Python SDK define, written down once.

Owns the few Pulumi constants and formats that several floors need, so none of
them keeps a copy:

- `UNKNOWN`: the SDK's own placeholder for a value not known during a preview
  (`pulumi.runtime.rpc.UNKNOWN`, imported, never re-typed);
- the secret signature: a secret property value is `{SIG_KEY: SECRET_SIG, ...}`
  in engine events and checkpoints (Go: `resource.SigKey`, `resource.SecretSig`;
  the SDK keeps them private, so they are written here, and tests/unit/fleet/
  test_checkpoint.py reads the secrets of a checkpoint the real engine wrote with them);
- type tokens and URNs: the dynamic-provider type prefix, the stack and provider
  types, and the parsing of a URN into its resource name and type;
- the project's name, read once from the project's `Pulumi.yaml`: it is the
  program's config namespace and the folder that scopes the stacks in a DIY backend.

Resources, the plan and the fleet import it; it imports nothing of this project
and never talks to the engine.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime.rpc import UNKNOWN

__all__ = ["DEFAULT_PROVIDER", "DYNAMIC_PREFIX", "PACKAGE_ROOT", "PROJECT", "PROVIDER_PREFIX", "SECRET_MARK",
           "SECRET_SIG", "SIG_KEY", "STACK_TYPE", "UNKNOWN", "is_secret", "project_name", "short_type", "stack_urn",
           "resource_urn", "urn_name", "urn_type"]

SIG_KEY = "4dabf18193072939515e22adb298388d"     # resource.SigKey: the property naming a special value's kind
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"  # resource.SecretSig: that kind is "secret"
SECRET_MARK = {SIG_KEY: SECRET_SIG}              # how an engine event shows a secret (never its value)

STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
DYNAMIC_PREFIX = "pulumi-python:dynamic/"                 # every dynamic resource's type token starts so
DEFAULT_PROVIDER = PROVIDER_PREFIX + "pulumi-python"      # the engine's default provider for dynamic resources

PACKAGE_ROOT = Path(__file__).resolve().parents[1]  # the project this package ships in (Pulumi.yaml, stacks/)


def is_secret(value: Any) -> bool:
    """A property value the engine stores or shows as a secret."""
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def short_type(type_: str) -> str:
    """`pulumi-python:dynamic/cloudlink:Account` -> `cloudlink:Account`; other types unchanged."""
    return type_.split("dynamic/", 1)[-1]


def urn_name(urn: str) -> str:
    """`urn:pulumi:<stack>::<project>::<type>::<name>` -> `<name>`."""
    return urn.rsplit("::", 1)[-1]


def urn_type(urn: str) -> str:
    """The URN's resource type (the last of a parent chain `a$b`); '' when it is not a resource URN."""
    parts = urn.split("::")
    return parts[-2].rsplit("$", 1)[-1] if len(parts) >= 4 else ""


def resource_urn(stack: str, project: str, type_: str, name: str) -> str:
    return f"urn:pulumi:{stack}::{project}::{type_}::{name}"


def stack_urn(stack: str, project: str) -> str:
    """The stack resource's URN, named `<project>-<stack>` as the engine names it."""
    return resource_urn(stack, project, STACK_TYPE, f"{project}-{stack}")


@lru_cache(maxsize=None)
def project_name(project_dir: Path | None = None) -> str:
    """The `name` in `project_dir/Pulumi.yaml`, read once per directory; raises when there is none.

    Without a directory: the project this package ships in, else (the package installed elsewhere, as
    an upgrade or a wheel) the project the engine runs the program in, its working directory."""
    if project_dir is None:
        project_dir = PACKAGE_ROOT if (PACKAGE_ROOT / "Pulumi.yaml").is_file() else Path.cwd()
    path = Path(project_dir) / "Pulumi.yaml"
    try:
        name = (yaml.safe_load(path.read_text()) or {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError) as e:
        raise RuntimeError(f"cannot read the project name from {path}: {type(e).__name__}") from None
    if not isinstance(name, str) or not name:
        raise RuntimeError(f"{path} has no project name")
    return name


PROJECT = project_name()  # this project's name: the program's config namespace, the state's project folder
