"""End-to-end fixtures: the real `pulumi` CLI, a file:// backend, the passphrase provider and a live emulator.

Each test gets its own project directory (a copy of Pulumi.yaml and the entry
point), its own state folder and its own emulator database, so tests never
touch the repository's `.state/` or each other. `up`, `preview` and `destroy`
go through the fleet's one engine runner (`runner.run_operation`, the Automation
API over the real CLI), as the fleet and the demo do; stack bookkeeping (init,
config, outputs, export) is plain `pulumi`; the spec is written with `StackFile`.
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

from cloudlink_provider.emulator.store import DEMO_PARTNER
from cloudlink_provider.fleet.engine.env import PROJECT_ROOT, pulumi_env
from cloudlink_provider.fleet.engine.gateway import run_pulumi
from cloudlink_provider.fleet.state.buckets import file_backend_dir
from cloudlink_provider.fleet.commands.run import RunOptions, StackRun, run_operation
from cloudlink_provider.fleet.stacks import StackFile
from cloudlink_provider.fleet.engine.gateway import Project
from testkit.samples import copy_fleet_file

PASSPHRASE = "e2e-passphrase"


class PulumiFailed(AssertionError):
    pass


class Stack:
    """One customer stack in a scratch project, driven through the real CLI."""

    def __init__(self, project: Path, name: str, env: dict[str, str], emulator):
        self.project, self.name, self.env, self.emulator = project, name, env, emulator
        self.file = StackFile(project / "stacks", name)
        self.config_file = self.file.path

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
        self.file.set_spec(customer)

    def run(self, operation: str, *extra: str, ok: bool = True) -> StackRun:
        """`operation` through the fleet's engine runner; `extra` are the CLI flags it understands."""
        unknown = set(extra) - {"--refresh", "--expect-no-changes", "--diff"}
        assert not unknown, f"not an option of the runner: {unknown}"
        options = RunOptions(operation, parallel=1, refresh="--refresh" in extra,
                             expect_no_changes="--expect-no-changes" in extra)
        engine = Project(self.project, self.env["PULUMI_BACKEND_URL"])
        engine.env = dict(self.env)  # this test's passphrase, PYTHONPATH, ...
        done = run_operation(engine, self.name, options)
        if ok and done.error is not None:
            raise PulumiFailed(f"{operation} {' '.join(extra)} failed\n--- stdout\n{done.stdout}\n"
                               f"--- stderr\n{done.stderr}")
        return done

    def up(self, *extra: str, ok: bool = True) -> StackRun:
        return self.run("up", *extra, ok=ok)

    def preview(self, *extra: str, ok: bool = True) -> StackRun:
        return self.run("preview", *extra, ok=ok)

    def destroy(self) -> StackRun:
        return self.run("destroy")

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
        data = StackFile(PROJECT_ROOT / "stacks", name).load()
        StackFile(project / "stacks", name).save(data)
        copy_fleet_file(project, emulator.url)  # the samples' endpoint and credentials come from the fleet file
        env = {**engine_env, "PULUMI_CONFIG_PASSPHRASE": "cloudlink-demo"}  # the samples' passphrase
        stack = Stack(project, name, env, emulator)
        stack.pulumi("stack", "init")
        return stack
    return make


# -- the object-store servers (testkit/servers.py): one each per session, started only when a test asks --------
@pytest.fixture(scope="session")
def object_stores(tmp_path_factory):
    """kind ("s3", "azblob", "gs") -> a running server; each started on first use, all stopped by pid at the end."""
    from testkit.servers import SERVERS

    running: dict[str, Any] = {}

    class Servers:
        def __getitem__(self, kind: str) -> Any:
            if kind not in running:
                server = SERVERS[kind](tmp_path_factory.mktemp(f"server-{kind}"))
                server.start()
                running[kind] = server
            return running[kind]

    try:
        yield Servers()
    finally:
        for server in running.values():
            server.stop()
