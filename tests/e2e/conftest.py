"""End-to-end fixtures: the real `pulumi` CLI, a file:// backend, the passphrase provider and a live emulator.

Each test gets its own project directory (a copy of Pulumi.yaml and the entry
point), its own state folder and its own emulator database, so tests never
touch the repository's `.state/` or each other.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from cloudlink_provider.emulator.store import DEMO_PARTNER
from cloudlink_provider.fleet.engine import PROJECT_ROOT, file_backend_dir, pulumi_env, run_pulumi

PASSPHRASE = "e2e-passphrase"


class PulumiFailed(AssertionError):
    pass


class Stack:
    """One customer stack in a scratch project, driven through the real CLI."""

    def __init__(self, project: Path, name: str, env: dict[str, str], emulator):
        self.project, self.name, self.env, self.emulator = project, name, env, emulator
        self.config_file = project / "stacks" / f"Pulumi.{name}.yaml"

    def pulumi(self, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = run_pulumi([*args, "--stack", self.name], self.project, self.env)
        if ok and result.returncode != 0:
            raise PulumiFailed(f"pulumi {' '.join(args)} exited {result.returncode}\n"
                               f"--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
        return result

    def init(self, customer: dict[str, Any], secrets: dict[str, str] | None = None) -> "Stack":
        self.pulumi("stack", "init", "--secrets-provider", "passphrase")
        self.set_config("cloudlink:endpoint", self.emulator.url)
        self.set_config("cloudlink:clientId", DEMO_PARTNER["client_id"])
        self.set_config("cloudlink:clientSecret", DEMO_PARTNER["client_secret"], secret=True)
        for key, value in (secrets or {}).items():
            self.set_config(key, value, secret=True)
        self.set_customer(customer)
        return self

    def set_config(self, key: str, value: str, secret: bool = False) -> None:
        self.pulumi("config", "set", key, value, *(["--secret"] if secret else []))

    def set_customer(self, customer: dict[str, Any]) -> None:
        data = yaml.safe_load(self.config_file.read_text())
        data.setdefault("config", {})["cloudlink-fleet:customer"] = customer
        self.config_file.write_text(yaml.safe_dump(data, sort_keys=False))

    def up(self, *extra: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return self.pulumi("up", "--yes", "--skip-preview", *extra, ok=ok)

    def preview(self, *extra: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        return self.pulumi("preview", "--diff", *extra, ok=ok)

    def destroy(self) -> subprocess.CompletedProcess[str]:
        return self.pulumi("destroy", "--yes", "--skip-preview")

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "output", "--json").stdout)

    def state_text(self) -> str:
        """Every file of the backend's state for this project, as text."""
        root = file_backend_dir(self.env["PULUMI_BACKEND_URL"])
        assert root is not None
        return "\n".join(p.read_text(errors="replace") for p in root.rglob("*") if p.is_file())

    def export(self) -> dict[str, Any]:
        return json.loads(self.pulumi("stack", "export").stdout)


class Api:
    """Out-of-band access to the emulator, as a colleague clicking in the console would have."""

    def __init__(self, emulator):
        self.http = httpx.Client(base_url=emulator.url, timeout=30)
        token = self.http.post("/authentication/2017-09-01/token", data={
            "grant_type": "client_credentials", "client_id": DEMO_PARTNER["client_id"],
            "client_secret": DEMO_PARTNER["client_secret"]}).json()["access_token"]
        self.http.headers["Authorization"] = f"Bearer {token}"

    def journal(self) -> list[dict[str, Any]]:
        return self.http.get("/_emulator/requests").json()["items"]

    def writes(self) -> list[dict[str, Any]]:
        """Write calls, as the emulator's journal flags them: every non-GET call but token grants."""
        return [r for r in self.journal() if r["write"]]

    def clear_journal(self) -> None:
        self.http.delete("/_emulator/requests")

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def project(tmp_path) -> Path:
    root = tmp_path / "project"
    (root / "stacks").mkdir(parents=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    os.symlink(PROJECT_ROOT / ".venv", root / ".venv")
    return root


@pytest.fixture
def engine_env(tmp_path, project) -> dict[str, str]:
    env = pulumi_env(PROJECT_ROOT, backend_url=(tmp_path / "state").as_uri())
    env["PULUMI_CONFIG_PASSPHRASE"] = PASSPHRASE
    return env


@pytest.fixture
def api(emulator):
    a = Api(emulator)
    yield a
    a.close()


@pytest.fixture
def new_stack(project, engine_env, emulator):
    def make(name: str = "customer") -> Stack:
        return Stack(project, name, engine_env, emulator)
    return make


def sample_stacks() -> list[str]:
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in (PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml"))


@pytest.fixture
def sample_stack(project, engine_env, emulator):
    """A committed sample customer, copied into the scratch project and pointed at this test's emulator."""
    def make(name: str) -> Stack:
        data = yaml.safe_load((PROJECT_ROOT / "stacks" / f"Pulumi.{name}.yaml").read_text())
        data["config"]["cloudlink:endpoint"] = emulator.url
        (project / "stacks" / f"Pulumi.{name}.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
        env = {**engine_env, "PULUMI_CONFIG_PASSPHRASE": "cloudlink-demo"}  # the samples' passphrase
        stack = Stack(project, name, env, emulator)
        stack.pulumi("stack", "init")
        return stack
    return make
