"""The committed sample customers as the engine sees them: each stack file layered over stacks/fleet.yaml.

A floor every test suite may import (unit, e2e, tools). It reads the files with the
project's own readers and the one merge, so a test that asks "what does this
sample deploy" gets the same answer as the program.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import yaml

from cloudlink_provider.customer.layers import Effective, effective, validated
from cloudlink_provider.customer.model import CustomerSpec
from cloudlink_provider.fleetfile import FleetFile, customer_layer

PROJECT_ROOT = Path(__file__).resolve().parents[1]  # testkit/ sits beside the package
STACKS = PROJECT_ROOT / "stacks"
FLEET_FILE = FleetFile(STACKS)


def sample_names() -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in STACKS.glob("Pulumi.*.yaml"))


def sample_effective(name: str) -> Effective:
    config = yaml.safe_load((STACKS / f"Pulumi.{name}.yaml").read_text())["config"]
    return effective(FLEET_FILE.read().fleet, customer_layer(name, config, f"stacks/Pulumi.{name}.yaml"))


def sample_spec(name: str) -> CustomerSpec:
    return validated(sample_effective(name))


def sample_spec_raw(name: str) -> dict[str, Any]:
    """The effective spec as plain data (what a full stack file would say)."""
    return sample_effective(name).spec


def copy_fleet_file(project: Path, endpoint: str, provider_only: bool = False) -> Path:
    """The samples' fleet file in a scratch project's stacks/, pointed at `endpoint` (only its provider
    block and salt with `provider_only`)."""
    target = project / "stacks" / "fleet.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(FLEET_FILE.path, target)
    data = FleetFile(target.parent).load()
    data["provider"]["endpoint"] = endpoint
    if provider_only:
        data = {k: data[k] for k in ("encryptionsalt", "provider")}
    FleetFile(target.parent).save(data)
    return target


def fleet_client_secret() -> tuple[str, dict[str, str]]:
    """The fleet file's salt and its encrypted client secret (the demo passphrase opens them)."""
    data = FLEET_FILE.load()
    return data["encryptionsalt"], data["provider"]["clientSecret"]
