"""The Pulumi engine, its language host and the Python SDK are one version, written once (tools/go.mod)."""

from __future__ import annotations

import re
import subprocess
import tomllib
from pathlib import Path

from cloudlink_provider.fleet.engine.env import pulumi_binary

ROOT = Path(__file__).resolve().parents[2]


def pinned_engine() -> str:
    match = re.search(r"github\.com/pulumi/pulumi/pkg/v3 v(\S+)", (ROOT / "tools" / "go.mod").read_text())
    assert match, "tools/go.mod must require github.com/pulumi/pulumi/pkg/v3"
    return match.group(1)


def test_python_sdk_pin_matches_the_engine():
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"pulumi=={pinned_engine()}" in deps


def test_built_cli_reports_the_pinned_version():
    out = subprocess.run([pulumi_binary(), "version"], capture_output=True, text=True, check=True).stdout
    assert out.strip() == f"v{pinned_engine()}"


def test_installed_sdk_is_the_pinned_version():
    from importlib.metadata import version
    assert version("pulumi") == pinned_engine()
