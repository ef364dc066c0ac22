"""What a killed run leaves in a file:// backend, and how the state room judges and repairs it for `recover`
(no engine here: the e2e test kills real engines)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cloudlink_provider.fleet.state.buckets import FileBucket
from cloudlink_provider.fleet.state.layout import Layout
from cloudlink_provider.fleet.state.locks import Lock, locks_in_message, read_locks, releasable
from cloudlink_provider.fleet.state.locks import release as release_locks
from cloudlink_provider.fleet.state.repair import RecoverError, readable_checkpoint, repair_blobs

HERE = socket.gethostname()


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid  # exited and reaped: no process has it (until the kernel reuses it)


class FileBackend:
    """A file:// backend as the state room sees it: a bucket and the project's layout."""

    def __init__(self, root: Path, project: str):
        self.bookkeeping = root / ".pulumi"
        self.bucket = FileBucket(root.as_uri(), root)
        self.layout = Layout(project, 0)

    def locks(self, stack: str) -> list[Lock]:
        return read_locks(self.bucket, self.layout, stack)

    def lock_files(self, stack: str) -> list[str]:
        return [key for prefix in self.layout.lock_prefixes(stack) for key in self.bucket.list(prefix)]


def release(_: None, locks: list[Lock], force: bool) -> tuple[list[str], list[str]]:
    def cancel(stack: str) -> None:
        raise AssertionError("a file:// lock is released by deleting it, never with `pulumi cancel`")

    return release_locks(locks[0].stack if locks else "", locks, force, BACKEND[0].bucket, cancel)


BACKEND: list[FileBackend] = []


def repair_files(backend: FileBackend, stack: str) -> list[str]:
    return repair_blobs(backend.bucket, backend.layout, stack)


@pytest.fixture
def backend(tmp_path) -> FileBackend:
    b = FileBackend(tmp_path, "cloudlink-fleet")
    (b.bookkeeping / "stacks" / "cloudlink-fleet").mkdir(parents=True)
    BACKEND[:] = [b]
    return b


def checkpoint(resources: int) -> bytes:
    return json.dumps({"version": 3, "checkpoint": {"latest": {"resources": [{}] * resources}}}).encode()


def lock(backend: FileBackend, stack: str, pid: int, host: str = HERE, name: str = "l.json") -> None:
    path = backend.bookkeeping / "locks" / "organization" / "cloudlink-fleet" / stack / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"pid": pid, "username": "ci", "hostname": host, "timestamp": "2026-12-01T10:00:00Z"}))


@pytest.fixture
def live_engine():
    """A live process that calls itself `pulumi`, as the engine that holds a lock does."""
    proc = subprocess.Popen(["bash", "-c", "exec -a pulumi sleep 60"])
    deadline = time.monotonic() + 10
    while not Path(f"/proc/{proc.pid}/cmdline").read_bytes().startswith(b"pulumi"):
        assert time.monotonic() < deadline, "the stand-in engine did not start"
        time.sleep(0.01)
    yield proc.pid
    proc.kill()
    proc.wait()


def test_a_dead_engine_here_is_released_a_live_one_never_another_hosts_only_with_force(backend, live_engine):
    lock(backend, "dead", dead_pid())
    lock(backend, "alive", live_engine)
    lock(backend, "remote", 4242, host="another-runner")
    (lambda p: (p.parent.mkdir(parents=True), p.write_text("")))(
        backend.bookkeeping / "locks" / "organization" / "cloudlink-fleet" / "torn" / "t.json")
    verdicts = {s: [releasable(lk, force=False) for lk in backend.locks(s)] for s in ("dead", "alive", "remote", "torn")}
    assert verdicts == {"dead": [True], "alive": [False], "remote": [False], "torn": [False]}
    assert [releasable(lk, force=True) for s in ("alive", "remote", "torn") for lk in backend.locks(s)] == [
        False, True, True]
    done, left = release(None, backend.locks("dead"), force=False)
    assert backend.lock_files("dead") == [] and left == [] and "released the lock of the dead engine" in done[0]
    done, left = release(None, backend.locks("alive"), force=True)
    assert backend.lock_files("alive") and done == [] and "running engine" in left[0]
    done, left = release(None, backend.locks("remote"), force=False)
    assert backend.lock_files("remote") and "--force" in left[0]


def test_locks_are_read_from_the_engines_own_message():
    text = ("error: the stack is currently locked by 2 lock(s). Either wait for the other process(es) to end or "
            "delete the lock file with `pulumi cancel`.\n"
            "  postgres://db/fleet/.pulumi/locks/organization/p/acme/a.json: created by root@ci-7 (pid 311) at "
            "2026-12-01T10:00:00Z\n"
            "  postgres://db/fleet/.pulumi/locks/organization/p/acme/b.json: created by ci@runner (pid 9) at "
            "2026-12-01T10:01:00Z")
    assert locks_in_message("acme", text) == [Lock("acme", 311, "ci-7", "root", "2026-12-01T10:00:00Z"),
                                              Lock("acme", 9, "runner", "ci", "2026-12-01T10:01:00Z")]


def test_a_torn_attrs_sidecar_and_a_stray_tmp_are_removed_and_nothing_else(backend):
    stacks = backend.bookkeeping / "stacks" / "cloudlink-fleet"
    (stacks / "acme.json").write_bytes(checkpoint(2))
    (stacks / "acme.json.attrs").write_text("")  # killed between creating the sidecar and writing it
    (stacks / "acme.json.17a2b3c4d5e6.tmp").write_bytes(checkpoint(3)[:10])
    (stacks / "baltic.json.attrs").write_text("")  # another stack's: not this repair's business
    (stacks / "acme.json.bak").write_bytes(checkpoint(1))
    (stacks / "acme.json.bak.attrs").write_text('{"md5": "x"}')
    done = repair_files(backend, "acme")
    assert sorted(p.name for p in stacks.iterdir()) == ["acme.json", "acme.json.bak", "acme.json.bak.attrs",
                                                          "baltic.json.attrs"]
    assert len(done) == 2 and all(".pulumi/stacks/cloudlink-fleet/acme.json" in line for line in done)
    assert repair_files(backend, "acme") == []


def test_a_damaged_checkpoint_is_restored_from_pulumis_newest_intact_copy(backend):
    stacks = backend.bookkeeping / "stacks" / "cloudlink-fleet"
    (stacks / "acme.json").write_bytes(checkpoint(3)[:25])
    (stacks / "acme.json.attrs").write_text('{"md5": "of the damaged file"}')
    (stacks / "acme.json.bak").write_text("")  # damaged too
    backups = backend.bookkeeping / "backups" / "cloudlink-fleet" / "acme"
    backups.mkdir(parents=True)
    (backups / "acme.100.json").write_bytes(checkpoint(1))
    os.utime(backups / "acme.100.json", ns=(1, 1))
    (backups / "acme.200.json").write_bytes(checkpoint(2))
    done = repair_files(backend, "acme")
    assert readable_checkpoint((stacks / "acme.json").read_bytes())
    assert json.loads((stacks / "acme.json").read_text()) == json.loads(checkpoint(2))
    assert not (stacks / "acme.json.attrs").exists()
    assert "restored the damaged .pulumi/stacks/cloudlink-fleet/acme.json" in done[-1]
    assert ".pulumi/backups/cloudlink-fleet/acme/acme.200.json" in done[-1]


def test_a_damaged_checkpoint_without_any_intact_copy_is_a_clear_error(backend):
    (backend.bookkeeping / "stacks" / "cloudlink-fleet" / "acme.json").write_text("{")
    with pytest.raises(RecoverError, match="cloudlink fleet import"):
        repair_files(backend, "acme")


def test_a_killed_engine_never_reaped_and_a_reused_pid_count_as_dead(backend):
    zombie = subprocess.Popen(["bash", "-c", "exec -a pulumi sleep 60"])
    try:
        os.kill(zombie.pid, 9)  # killed, and not reaped until zombie.wait(): what a dead parent leaves
        deadline = time.monotonic() + 10
        while Path(f"/proc/{zombie.pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z":
            assert time.monotonic() < deadline, "the process did not become a zombie"
            time.sleep(0.01)
        lock(backend, "zombie", zombie.pid)
        assert [releasable(lk, force=False) for lk in backend.locks("zombie")] == [True]
    finally:
        zombie.wait()
    lock(backend, "reused", os.getpid())  # a live process, but not `pulumi`: not the engine that locked
    assert [lk.engine_alive for lk in backend.locks("reused")] == [False]
