"""`cloudlink fleet recover`: turn what a killed run left behind back into a clean state.

Owns three repairs, in this order, per stack, on any DIY backend:

1. **Locks of dead engines.** A stack lock (`.pulumi/locks/<org>/<project>/<stack>/<id>.json`
   in Pulumi's DIY backend, pkg/backend/diy/lock.go) records the engine's pid, user, host and
   start time. A lock is released when its engine is provably dead: on this host, by pid. A
   lock from another host (or one that cannot be read) is released only with `force`; a lock
   whose engine is alive here never is. file:// locks are read as files, object-store locks
   (s3://, azblob://, gs://) as blobs of the bucket (buckets.py); on other backends
   (PostgreSQL, ...) the engine itself names them when it refuses to take the lock, in the
   format lock.go writes (`<url>: created by <user>@<host> (pid <pid>) at <time>`), and a
   releasable stack is released with `pulumi cancel`.
2. **Half-written file:// checkpoints.** The file:// bucket (gocloud.dev fileblob) writes a
   blob to a `.<hex>.tmp` file, then its `<blob>.attrs` sidecar, then renames: a kill in
   between leaves an empty or torn `.attrs` (every command then fails with `failed to load
   checkpoint: EOF`) and a stray `.tmp`. Both are removed. A checkpoint that is itself
   unreadable is restored from Pulumi's own copies (pkg/backend/diy/state.go): `<stack>.json.bak`,
   then `backups/`, then `history/`, newest first.
3. **Pending operations** (a create or delete the engine started and never saw finish): a refresh
   with `--clear-pending-creates`. Nothing a dead run created is lost or duplicated: every
   resource's create adopts the live object by its natural key, so the next `up` takes it over.

The safe part, locks of engines that died on this host, is also done by every fleet run by
itself (`release_dead_locks`), so one killed run does not fail the next `fleet up` with "the
stack is currently locked". It never touches CloudLink except through the engine's refresh.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from pulumi import automation as auto

from .buckets import BucketError
from .engine import file_backend_dir

LOCKED = "the stack is currently locked"
_LOCK_LINE = re.compile(r"^\s*(?P<where>\S+): created by (?P<user>.*)@(?P<host>[^@\s]+) \(pid (?P<pid>-?\d+)\) "
                        r"at (?P<at>\S+)\s*$", re.MULTILINE)
_TMP = re.compile(r"\.[0-9a-f]+\.tmp$")


@dataclass(frozen=True)
class Lock:
    """One stack lock as the engine wrote it; `path` only on file:// backends."""
    stack: str
    pid: int | None
    host: str
    user: str = ""
    at: str = ""
    path: Path | None = None
    key: str | None = None  # the lock's blob on an object-store backend

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


# -- the DIY layout (pkg/backend/diy: store.go, state.go, lock.go), as keys from the backend's root ---------
def scoped(project: str, kind: str, *rest: str) -> list[str]:
    """A bookkeeping folder (`stacks`, `backups/<stack>`, `history/<stack>`) in the project-scoped layout,
    then in the legacy one."""
    tail = "/".join(rest)
    return [f".pulumi/{kind}/{project}/{tail}".rstrip("/"), f".pulumi/{kind}/{tail}".rstrip("/")]


def lock_folders(project: str, stack: str) -> list[str]:
    """Where the engine writes the stack's locks: `locks/<fully qualified stack name>/<lock id>.json`."""
    return [f".pulumi/locks/organization/{project}/{stack}", f".pulumi/locks/{stack}"]


@dataclass(frozen=True)
class FileBackend:
    """Where one project's stacks live in a file:// backend: the project-scoped layout (meta.yaml
    version 1) and the legacy one, whichever holds the stack."""
    root: Path
    project: str

    @property
    def bookkeeping(self) -> Path:
        return self.root / ".pulumi"

    def _scoped(self, kind: str, *rest: str) -> list[Path]:
        return [self.root / key for key in scoped(self.project, kind, *rest)]

    def checkpoints(self, stack: str) -> list[Path]:
        """The stack's checkpoint files that exist (`<stack>.json`, `.json.gz`)."""
        return [d / f"{stack}{ext}" for d in self._scoped("stacks") for ext in (".json", ".json.gz")
                if (d / f"{stack}{ext}").is_file()]

    def stack_dirs(self, stack: str) -> list[Path]:
        """Every directory holding blobs of this stack: its checkpoint's, its lock's, its backups and history."""
        dirs = [*self._scoped("stacks"), *self._scoped("backups", stack), *self._scoped("history", stack),
                *(self.root / key for key in lock_folders(self.project, stack))]
        return [d for d in dirs if d.is_dir()]

    def lock_files(self, stack: str) -> list[Path]:
        dirs = [self.root / key for key in lock_folders(self.project, stack)]
        return sorted(p for d in dirs if d.is_dir() for p in d.glob("*.json"))

    def locks(self, stack: str) -> list[Lock]:
        found = []
        for path in self.lock_files(stack):
            try:
                content = json.loads(path.read_text())
                found.append(Lock(stack, int(content["pid"]), str(content.get("hostname", "")),
                                  str(content.get("username", "")), str(content.get("timestamp", "")), path))
            except (OSError, ValueError, KeyError, TypeError):
                found.append(Lock(stack, None, "", path=path))  # torn: written by an engine killed mid-lock
        return found

    def backups(self, stack: str) -> list[Path]:
        """Pulumi's own earlier copies of the checkpoint, newest first: `.bak`, then backups/, then history/."""
        baks = [Path(f"{p}.bak") for d in self._scoped("stacks") for p in (d / f"{stack}.json", d / f"{stack}.json.gz")]
        older = [p for d in self._scoped("backups", stack) if d.is_dir() for p in d.glob(f"{stack}.*.json*")
                 if not p.name.endswith((".attrs", ".tmp"))]
        older += [p for d in self._scoped("history", stack) if d.is_dir() for p in d.glob("*.checkpoint.json*")
                  if not p.name.endswith((".attrs", ".tmp"))]
        return [p for p in baks if p.is_file()] + sorted(older, key=lambda p: p.stat().st_mtime_ns, reverse=True)


def readable_checkpoint(path: Path) -> bool:
    """The file holds a whole checkpoint (JSON with a `checkpoint`, gzip-compressed or not)."""
    try:
        raw = path.read_bytes()
        if path.name.endswith(".gz") or raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        data = json.loads(raw)
    except (OSError, ValueError, EOFError):
        return False
    return isinstance(data, dict) and "checkpoint" in data


def _torn_sidecar(path: Path) -> bool:
    try:
        json.loads(path.read_text() or "x")
    except (OSError, ValueError):
        return True
    return False


def repair_files(backend: FileBackend, stack: str) -> list[str]:
    """Undo a half-written blob write of this stack (torn `.attrs`, stray `.tmp`, unreadable checkpoint).

    Only call it when no live engine holds the stack: a live engine's `.tmp` is a write in progress."""
    done: list[str] = []
    for directory in backend.stack_dirs(stack):
        mine = (lambda p: p.name.startswith(f"{stack}.")) if directory.name != stack else (lambda p: True)
        for path in sorted(directory.iterdir()):
            if not path.is_file() or not mine(path):
                continue
            rel = path.relative_to(backend.root)
            if path.name.endswith(".attrs") and _torn_sidecar(path):
                path.unlink()
                done.append(f"removed the half-written {rel}")
            elif _TMP.search(path.name):
                path.unlink()
                done.append(f"removed the unfinished write {rel}")
    for checkpoint in backend.checkpoints(stack):
        if readable_checkpoint(checkpoint):
            continue
        source = next((p for p in backend.backups(stack) if readable_checkpoint(p)), None)
        rel = checkpoint.relative_to(backend.root)
        if source is None:
            raise RecoverError(f"{rel} is damaged and Pulumi kept no intact copy of it (.bak, backups/, "
                               "history/): re-create the stack from CloudLink with `cloudlink fleet import`")
        raw = source.read_bytes()
        if checkpoint.name.endswith(".gz") != (raw[:2] == b"\x1f\x8b"):
            raw = gzip.compress(raw) if checkpoint.name.endswith(".gz") else gzip.decompress(raw)
        scratch = checkpoint.with_name(checkpoint.name + ".recover")
        scratch.write_bytes(raw)
        os.replace(scratch, checkpoint)
        Path(f"{checkpoint}.attrs").unlink(missing_ok=True)  # its checksum was the damaged file's
        done.append(f"restored the damaged {rel} from Pulumi's copy {source.relative_to(backend.root)} "
                    "(what the dead run made after it is adopted by the next `up`)")
    return done


# -- object stores (s3://, azblob://, gs://): the same layout, as blobs of a bucket --------------------
class BucketBackend:
    """One project's stacks in an object-store backend (buckets.py): locks, checkpoints and Pulumi's copies
    of them at the keys the engine uses, in the project-scoped layout or the legacy one."""

    def __init__(self, bucket: Any, project: str):
        self.bucket, self.project = bucket, project

    def _scoped(self, kind: str, *rest: str) -> list[str]:
        return scoped(self.project, kind, *rest)

    def lock_keys(self, stack: str) -> list[str]:
        return sorted(k for folder in lock_folders(self.project, stack) for k in self.bucket.list(folder + "/")
                      if k.endswith(".json"))

    def locks(self, stack: str) -> list[Lock]:
        found = []
        for key in self.lock_keys(stack):
            try:
                content = json.loads(self.bucket.read(key) or b"")
                found.append(Lock(stack, int(content["pid"]), str(content.get("hostname", "")),
                                  str(content.get("username", "")), str(content.get("timestamp", "")), key=key))
            except (ValueError, KeyError, TypeError):
                found.append(Lock(stack, None, "", key=key))
        return found

    def checkpoints(self, stack: str) -> list[str]:
        """The stack's checkpoint blobs that exist (`<stack>.json`, `.json.gz`), from one listing per layout."""
        keys = []
        for folder in self._scoped("stacks"):
            base = f"{folder}/{stack}.json"
            listed = set(self.bucket.list(base))
            keys += [key for key in (base, base + ".gz") if key in listed]
        return keys

    def backups(self, stack: str) -> list[str]:
        """Pulumi's own earlier copies, newest first: `.bak`, then backups/, then history/ (by write time)."""
        baks = [f"{key}.bak" for key in self.checkpoints(stack)]
        baks = [k for k in baks if self.bucket.read(k) is not None]
        older = [b for folder in self._scoped("backups", stack) for b in self.bucket.listing(folder + "/")
                 if b.key.rsplit("/", 1)[-1].startswith(f"{stack}.")]
        older += [b for folder in self._scoped("history", stack) for b in self.bucket.listing(folder + "/")
                  if ".checkpoint.json" in b.key]
        return baks + [b.key for b in sorted(older, key=lambda b: (b.modified, b.key), reverse=True)]

    def repair(self, stack: str) -> list[str]:
        """Restore an unreadable checkpoint from Pulumi's newest intact copy in the bucket."""
        done = []
        for key in self.checkpoints(stack):
            if _whole_checkpoint(self.bucket.read(key)):
                continue
            source = next((k for k in self.backups(stack) if _whole_checkpoint(self.bucket.read(k))), None)
            if source is None:
                raise RecoverError(f"{key} is damaged and Pulumi kept no intact copy of it (.bak, backups/, "
                                   "history/): re-create the stack from CloudLink with `cloudlink fleet import`")
            raw = self.bucket.read(source) or b""
            if key.endswith(".gz") != (raw[:2] == b"\x1f\x8b"):
                raw = gzip.compress(raw) if key.endswith(".gz") else gzip.decompress(raw)
            self.bucket.write(key, raw)
            done.append(f"restored the damaged {key} from Pulumi's copy {source} "
                        "(what the dead run made after it is adopted by the next `up`)")
        return done


def _whole_checkpoint(raw: bytes | None) -> bool:
    if raw is None:
        return False
    try:
        data = json.loads(gzip.decompress(raw) if raw[:2] == b"\x1f\x8b" else raw)
    except (ValueError, EOFError, OSError):
        return False
    return isinstance(data, dict) and "checkpoint" in data


class RecoverError(Exception):
    """This stack cannot be recovered by this command; the message says what to do."""


# -- per stack -----------------------------------------------------------------------------------------
@dataclass
class Recovery:
    """What `recover` did for one stack, and what is left for the partner to do."""
    stack: str
    done: list[str] = field(default_factory=list)
    left: list[str] = field(default_factory=list)  # blocking problems, each with what to do

    @property
    def ok(self) -> bool:
        return not self.left

    def to_json(self) -> dict[str, Any]:
        return {"stack": self.stack, "ok": self.ok, "done": self.done, "left": self.left}


def release(stack: auto.Stack | None, locks: list[Lock], force: bool,
            bucket: Any = None) -> tuple[list[str], list[str]]:
    """Release what may be released: (what was done, why the rest was not). Locks read from files or from
    `bucket`'s blobs are removed there; locks the engine named, with `pulumi cancel`."""
    done, left = [], []
    keep = [lock for lock in locks if not releasable(lock, force)]
    for lock in keep:
        if lock.engine_alive:
            left.append(f"locked by a running engine, {lock.describe()}: let it finish (or stop it) first")
        else:
            left.append(f"locked by {lock.describe()}, whose engine cannot be checked from here: if that run is "
                        "dead, rerun with --force")
    gone = [lock for lock in locks if lock not in keep]
    if gone and all(lock.path is not None or (lock.key is not None and bucket is not None) for lock in gone):
        for lock in gone:
            if lock.path is not None:
                lock.path.unlink(missing_ok=True)
            else:
                bucket.delete(lock.key)
    elif gone and not keep and stack is not None:
        stack.cancel()  # `pulumi cancel`: removes every lock of the stack, all of which are dead
    elif gone:
        left.append("some locks are releasable and some are not; `pulumi cancel` would remove them all")
        return done, left
    done += [f"released the lock of the dead engine {lock.describe()}" for lock in gone]
    return done, left


def recover_stack(name: str, open_stack: Callable[[str], auto.Stack],
                  file_backend: "FileBackend | BucketBackend | None", refresh: Callable[[auto.Stack], None],
                  force: bool = False) -> Recovery:
    """Locks, files, pending operations of one stack, in that order; never raises for this stack's trouble."""
    result = Recovery(name)
    try:
        if file_backend is not None:
            locks = file_backend.locks(name)
            done, left = release(None, locks, force, getattr(file_backend, "bucket", None))
            result.done += done
            result.left += left
            if left:
                return result
            result.done += (file_backend.repair(name) if isinstance(file_backend, BucketBackend)
                            else repair_files(file_backend, name))
        stack = open_stack(name)
        deployment = stack.export_stack()
        if file_backend is None:  # the engine names the locks when it refuses to take one
            try:
                stack.import_stack(deployment)  # the same deployment: a no-op when nobody holds the stack
            except auto.CommandError as e:
                if LOCKED not in str(e):
                    raise
                done, left = release(stack, locks_in_message(name, str(e)), force)
                result.done += done
                result.left += left
                if left:
                    return result
        pending = (deployment.deployment or {}).get("pending_operations") or []
        if pending:
            refresh(stack)
            ops = ", ".join(sorted({f"{op.get('type', '?')} {str(op.get('resource', {}).get('urn', '')).rsplit('::', 1)[-1]}"
                                    for op in pending}))
            result.done.append(f"cleared {len(pending)} pending operation(s) of the dead run ({ops}) with a refresh "
                               "from CloudLink; the next `up` adopts what it created")
    except auto.StackNotFoundError:
        pass  # the backend has never seen this stack: nothing a run could have left
    except RecoverError as e:
        result.left.append(str(e))
    except BucketError as e:
        result.left.append(f"the backend could not be read or written: {e}")
    except auto.CommandError as e:
        from .runner import engine_message

        result.left.append(engine_message(e))
    return result


def release_dead_locks(stack: auto.Stack, name: str, error_text: str,
                       file_backend: "FileBackend | BucketBackend | None") -> list[str]:
    """The safe part, for a fleet run that found `name` locked: release it if every lock belongs to a
    dead engine on this host. Returns what was done ([] when nothing may be released)."""
    locks = file_backend.locks(name) if file_backend is not None else locks_in_message(name, error_text)
    if not locks or not all(lock.engine_alive is False for lock in locks):
        return []
    done, left = release(stack if file_backend is None else None, locks, force=False,
                         bucket=getattr(file_backend, "bucket", None))
    return [] if left else done


def project_name(project_dir: Path) -> str:
    """The project's name (Pulumi.yaml), which scopes its stacks in the backend."""
    import yaml

    try:
        return str((yaml.safe_load((project_dir / "Pulumi.yaml").read_text()) or {}).get("name") or "")
    except (OSError, yaml.YAMLError):
        return ""


def file_backend_for(project: Any) -> "FileBackend | BucketBackend | None":
    """The project's file:// or object-store backend (a `workspace.Project`), read natively; None for others."""
    root = file_backend_dir(project.backend_url)
    if root is not None:
        return FileBackend(root, project_name(project.dir))
    from .buckets import Unsupported, is_object_store, open_bucket

    if is_object_store(project.backend_url):
        try:
            return BucketBackend(open_bucket(project.backend_url), project_name(project.dir))
        except Unsupported:
            return None  # the engine names the locks, as on PostgreSQL
    return None


def recover(project: Any, names: list[str], force: bool = False) -> list[Recovery]:
    """`cloudlink fleet recover` over a `workspace.Project`: one `Recovery` per stack, in order."""
    from .runner import RunOptions, run_operation

    backend = file_backend_for(project)
    options = RunOptions("refresh", parallel=1, clear_pending_creates=True)

    def refresh(stack: auto.Stack) -> None:
        done = run_operation(project, stack.name, options)
        if done.error is not None:
            from .runner import failure

            raise RecoverError("the refresh that clears the dead run's pending operations failed: "
                               + failure(done.error, done.collector, stack.name)[0])

    def open_stack(name: str) -> auto.Stack:
        return project.workspace_stack(name)  # select, never create: nothing to recover in a new stack

    return [recover_stack(name, open_stack, backend, refresh, force) for name in names]
