"""The scale-out path: the fleet on Pulumi's PostgreSQL DIY backend (`postgres://...`), a real server.

A module fixture starts a throwaway PostgreSQL (initdb into a temp dir, a free
port, TCP on 127.0.0.1 only, trust auth) and stops it at the end. If the
server binaries are missing it installs Debian's `postgresql` package (CI runs
as root on a fresh machine with apt); it fails, never skips, when it cannot.
PostgreSQL refuses to run as root, so as root the server runs as the
`postgres` user the package creates.
"""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudlink_provider.emulator.server import free_port
from testkit.fleet_project import fleet, fleet_env, generated, make_project

pytestmark = pytest.mark.e2e
ADMIN = "/admin/2017-09-01/accounts"


def _bin_dir() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=lambda p: int(Path(p).parts[4]))
    if found:
        return Path(found[-1]).parent
    pg_ctl = shutil.which("pg_ctl")
    return Path(pg_ctl).resolve().parent if pg_ctl else None


def _install_postgresql() -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail("PostgreSQL server binaries are missing and cannot be installed here (needs root and "
                    "apt-get): install Debian's `postgresql` package")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        if done.returncode != 0:
            pytest.fail(f"{' '.join(cmd)} failed:\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")


class Postgres:
    def __init__(self, bin_dir: Path, root: Path, port: int):
        self.bin, self.root, self.port = bin_dir, root, port
        self.data = root / "data"
        self.as_root = os.geteuid() == 0

    def _run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=self.root)
        if done.returncode != 0:
            log = self.root / "server.log"
            raise RuntimeError(f"{' '.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                               + (log.read_text()[-3000:] if log.exists() else ""))
        return done

    def start(self) -> None:
        if self.as_root:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "pulumi", "-A", "trust", "-E", "UTF8", "--no-sync",
                  "--no-instructions")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.root / "server.log"), "-w", "-t", "60",
                  "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "pulumi", "fleet")

    def stop(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self) -> str:
        return f"postgres://pulumi:not-checked@127.0.0.1:{self.port}/fleet?sslmode=disable"

    def query(self, sql: str) -> list[str]:
        out = self._run("psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "pulumi", "-d", "fleet",
                        "-At", "-c", sql).stdout
        return [line for line in out.splitlines() if line]


@pytest.fixture(scope="module")
def postgres() -> Iterator[Postgres]:
    bin_dir = _bin_dir()
    if bin_dir is None:
        _install_postgresql()
        bin_dir = _bin_dir()
        assert bin_dir is not None, "apt-get installed postgresql but no server binaries were found"
    root = Path(tempfile.mkdtemp(prefix="cloudlink-pg-"))  # outside pytest's 0700 tree: the server user reads it
    server = Postgres(bin_dir, root, free_port())
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


def test_fleet_on_the_postgresql_backend(tmp_path, emulator, api, postgres):
    customers = generated(3, "Pg")
    project = make_project(tmp_path / "project", emulator.url, customers)
    url = postgres.url()

    up = fleet(project, "up", "--backend", url, "--json", str(tmp_path / "up.json"))
    assert up.returncode == 0, up.stdout + up.stderr
    assert not (project / ".state").exists(), "the state went to the file backend"
    report = json.loads((tmp_path / "up.json").read_text())
    assert report["backend"].startswith("postgres://pulumi:***@127.0.0.1") and "not-checked" not in up.stdout

    keys = postgres.query("SELECT key FROM pulumi_state ORDER BY key")
    for stack in customers:
        assert any(k.endswith(f"cloudlink-fleet/{stack}.json") for k in keys), keys
    assert [k for k in keys if "/locks/" in k] == []
    names = {a["name"]: a["accountId"] for a in api.http.get(ADMIN).json()["_embedded"]["items"]}
    assert set(names) == {c["account"]["name"] for c in customers.values()}

    # the backend chosen by the environment variable: drift seen from the state in PostgreSQL, by the scan
    # (which reads the pulumi_state table itself) and by the engine alike
    env = fleet_env({"PULUMI_BACKEND_URL": url})
    clean = fleet(project, "drift", "--history", "backend", env=env)  # the baseline, kept in the table
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "no previous run: this run is the baseline" in clean.stdout
    assert fleet(project, "drift", "--engine", env=env).returncode == 0
    assert api.http.put(f"{ADMIN}/{names['Pg 003']}", json={"languageCode": "it-IT"}).status_code == 200
    drift = fleet(project, "drift", "--json", str(tmp_path / "drift.json"), "--history", "backend", env=env)
    assert drift.returncode == 3, drift.stdout + drift.stderr
    history = [k for k in postgres.query("SELECT key FROM pulumi_state ORDER BY key") if "drift-history" in k]
    assert all(k.endswith(".json") and "/.cloudlink/drift-history/" in "/" + k for k in history), history
    kept = sorted(k.rsplit("/", 1)[1] for k in history)
    assert kept[-1] == "latest.json" and len(kept) == 3 and all(n.startswith("drift-") for n in kept[:-1]), kept
    assert [r["finding"]["since"] for s in json.loads((tmp_path / "drift.json").read_text())["stacks"]
            for r in s["resources"]] == ["new"]
    drifted = [s["stack"] for s in json.loads((tmp_path / "drift.json").read_text())["stacks"] if s["drifted"]]
    assert drifted == ["pg-003"]
    engine = fleet(project, "drift", "--engine", "--json", str(tmp_path / "engine.json"), "--history", "backend",
                   "--fail-on", "new", env=env)
    assert engine.returncode == 0, engine.stdout + engine.stderr  # the same drift, still there: not new
    assert [r["finding"]["since"] for s in json.loads((tmp_path / "engine.json").read_text())["stacks"]
            for r in s["resources"]] == ["still"]
    assert [s["stack"] for s in json.loads((tmp_path / "engine.json").read_text())["stacks"] if s["drifted"]] == drifted
    assert [k for k in postgres.query("SELECT key FROM pulumi_state") if "/locks/" in k] == []
