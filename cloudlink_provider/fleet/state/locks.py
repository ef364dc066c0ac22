"""Stack locks: the one lock reader, and the one way a dead engine's lock is released.

A stack lock (pkg/backend/diy/lock.go) is a blob `<id>.json` under the stack's lock
folder (layout.py) recording the engine's pid, user, host and start time. It is
read from the backend's bucket; for a backend with no bucket here, from the
engine's own message when it refuses to take the lock (`<url>: created by
<user>@<host> (pid <pid>) at <time>`, as lock.go writes it). A lock may be
released when its engine is provably dead: on this host, by pid; another host's
(or an unreadable) lock only with `force`; a live engine's never. Releasing
deletes the lock blobs; without a bucket, the caller's `cancel` (`pulumi cancel`,
which removes every lock of the stack) is used, and only when every lock is dead.
"""

from __future__ import annotations

import json
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .buckets import Bucket
from .layout import Layout

LOCKED = "the stack is currently locked"  # the engine's words when a lock refuses it (lock.go, checkForLock)
_LOCK_LINE = re.compile(r"^\s*(?P<where>\S+): created by (?P<user>.*)@(?P<host>[^@\s]+) \(pid (?P<pid>-?\d+)\) "
                        r"at (?P<at>\S+)\s*$", re.MULTILINE)
Cancel = Callable[[str], None]  # `pulumi cancel` for a stack


@dataclass(frozen=True)
class Lock:
    """One stack lock as the engine wrote it; `key` is its blob when it was read from a bucket."""
    stack: str
    pid: int | None
    host: str
    user: str = ""
    at: str = ""
    key: str | None = None

    @property
    def here(self) -> bool:
        return self.host == socket.gethostname()

    @property
    def engine_alive(self) -> bool | None:
        """True/False on this host (by pid); None when it cannot be known (another host, unreadable)."""
        if not self.here or self.pid is None or self.pid <= 0:
            return None
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True  # a process of another user has that pid: alive as far as we can tell
        return _is_engine(self.pid)

    def describe(self) -> str:
        who = f"{self.user}@{self.host}" if self.user else self.host or "an unknown host"
        return f"{who} (pid {self.pid if self.pid is not None else '?'}" + (f", since {self.at})" if self.at else ")")


def _is_engine(pid: int) -> bool:
    """Whether the live process `pid` can still be the engine that took the lock (Linux /proc; elsewhere
    any live process counts): a zombie (killed, never reaped) is dead, and a pid the kernel reused for
    a process that is not `pulumi` is not that engine."""
    proc = Path("/proc") / str(pid)
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        argv0 = (proc / "cmdline").read_bytes().split(b"\0", 1)[0]
    except (OSError, IndexError):
        return True
    return state != "Z" and (not argv0 or os.path.basename(argv0).startswith(b"pulumi"))


def releasable(lock: Lock, force: bool) -> bool:
    """A dead engine's lock on this host always; another host's (or an unreadable) lock only with `force`;
    a live engine's never."""
    alive = lock.engine_alive
    return alive is False or (alive is None and force)


def locks_in_message(stack: str, text: str) -> list[Lock]:
    """The locks the engine lists when it refuses to lock a stack (pkg/backend/diy/lock.go, checkForLock)."""
    return [Lock(stack, int(m["pid"]), m["host"], m["user"], m["at"]) for m in _LOCK_LINE.finditer(text)]


def read_locks(bucket: Bucket, layout: Layout, stack: str) -> list[Lock]:
    """Every lock of the stack in the bucket; a torn one (an engine killed mid-write) has no pid."""
    found = []
    for prefix in layout.lock_prefixes(stack):
        for key in bucket.list(prefix):
            if not key.endswith(".json") or "/" in key[len(prefix):]:
                continue
            try:
                content = json.loads(bucket.read(key) or b"")
                found.append(Lock(stack, int(content["pid"]), str(content.get("hostname", "")),
                                  str(content.get("username", "")), str(content.get("timestamp", "")), key))
            except (ValueError, KeyError, TypeError):
                found.append(Lock(stack, None, "", key=key))
    return found


def all_lock_keys(bucket: Bucket, layout: Layout, stacks: list[str]) -> list[str]:
    return [lock.key for stack in stacks for lock in read_locks(bucket, layout, stack) if lock.key]


def release(stack: str, locks: list[Lock], force: bool, bucket: Bucket | None, cancel: Cancel) \
        -> tuple[list[str], list[str]]:
    """Release what may be released: (what was done, why the rest was not)."""
    done, left = [], []
    keep = [lock for lock in locks if not releasable(lock, force)]
    for lock in keep:
        if lock.engine_alive:
            left.append(f"locked by a running engine, {lock.describe()}: let it finish (or stop it) first")
        else:
            left.append(f"locked by {lock.describe()}, whose engine cannot be checked from here: if that run is "
                        "dead, rerun with --force")
    gone = [lock for lock in locks if lock not in keep]
    if gone and bucket is not None and all(lock.key is not None for lock in gone):
        for lock in gone:
            bucket.delete(lock.key)  # type: ignore[arg-type]
    elif gone and not keep:
        cancel(stack)  # `pulumi cancel`: removes every lock of the stack, all of which are dead
    elif gone:
        left.append("some locks are releasable and some are not; `pulumi cancel` would remove them all")
        return done, left
    done += [f"released the lock of the dead engine {lock.describe()}" for lock in gone]
    return done, left


def release_dead_locks(stack: str, bucket: Bucket | None, layout: Layout | None, engine_said: str,
                       cancel: Cancel) -> list[str]:
    """The safe part, for a run that found `stack` locked: release it if every lock belongs to a dead
    engine on this host. Returns what was done ([] when nothing may be released)."""
    if bucket is not None and layout is not None:
        locks = read_locks(bucket, layout, stack)
    else:
        locks = locks_in_message(stack, engine_said)
    if not locks or not all(lock.engine_alive is False for lock in locks):
        return []
    done, left = release(stack, locks, False, bucket, cancel)
    return [] if left else done
