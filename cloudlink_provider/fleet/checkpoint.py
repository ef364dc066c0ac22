"""A stack's checkpoint, read straight from its DIY backend without starting the engine.

Owns Pulumi's DIY state layout and the checkpoint format, as Pulumi's own source
writes them (pulumi/pulumi `pkg/backend/diy`: store.go, state.go, meta.go;
`pkg/backend/diy/postgres`: bucket.go, schema.sql; `sdk/go/common/apitype`:
`VersionedCheckpoint` version 3 with a `DeploymentV3`):

- `file://DIR`: `DIR/.pulumi/stacks/<project>/<stack>.json` (meta.yaml `version: 1`,
  the project-scoped layout) or `DIR/.pulumi/stacks/<stack>.json` (version 0, legacy),
  each also as `.json.gz`; of the variants the most recently modified wins, as in
  the engine's `stackPath`. `.bak` files and `history/`/`backups/` are earlier
  states and are never read.
- `postgres://...`: the table `pulumi_state` (or `?table=`), one row per blob: `key`
  is the same path as in a file backend under the URL's path as a prefix (as for every
  non-file DIY backend: `postgres://host/fleet` -> `fleet/.pulumi/...`), `data` is JSON
  `{"data": base64(bytes)}`.
- `s3://`, `azblob://`, `gs://` (buckets.py opens them as the engine does): the same keys as in
  a file backend, under the URL's path as a prefix. One listing of the project's stacks
  folder per fleet gives each stack's variants with their modification times (the engine's
  `stackPath` picks the newest; on a tie the later in the listing's order); then one read
  per stack, at most `BUCKET_READS` at once.
- anything else (a bucket URL this reader does not open, `.json.zst`): `pulumi stack export`.

It decrypts nothing (secrets.py does) and never writes to a backend. A format it
does not know (another checkpoint version, no `latest` deployment) raises
`CheckpointError` rather than being guessed at.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import ssl
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable
from urllib.parse import parse_qs, unquote, urlparse

from .engine import file_backend_dir

CHECKPOINT_VERSION = 3  # apitype.VersionedCheckpoint.Version this reader understands
STACK_TYPE = "pulumi:pulumi:Stack"
PROVIDER_PREFIX = "pulumi:providers:"
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # resource.SecretSig: marks a secret property value
SECRET_KEY = "1b47061264138c4ac30d75fd1eb44270"


class CheckpointError(Exception):
    """The checkpoint cannot be read, or is in a format this reader does not know."""


@dataclass
class StateResource:
    """One resource of the deployment, as the engine saved it (secret values still encrypted)."""
    urn: str
    type: str
    id: str
    custom: bool
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    dependencies: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]

    @property
    def managed(self) -> bool:
        """A customer resource (not the stack itself or a provider)."""
        return self.custom and self.type != STACK_TYPE and not self.type.startswith(PROVIDER_PREFIX)


@dataclass
class Checkpoint:
    stack: str
    engine_version: str
    secrets_type: str | None
    secrets_state: dict[str, Any]
    resources: list[StateResource]
    pending_operations: list[dict[str, Any]] = field(default_factory=list)

    @property
    def salt(self) -> str | None:
        """The passphrase secrets manager's state (`v1:<salt>:<check>`), as in the stack file."""
        return self.secrets_state.get("salt") if self.secrets_type == "passphrase" else None

    @property
    def has_stack(self) -> bool:
        return any(r.type == STACK_TYPE for r in self.resources)

    def managed(self) -> list[StateResource]:
        return [r for r in self.resources if r.managed]


def parse_checkpoint(data: Any, stack: str) -> Checkpoint | None:
    """A `VersionedCheckpoint` (what the backend stores) or an `UntypedDeployment` (what `stack export`
    prints) -> Checkpoint; None when the stack exists but was never deployed."""
    if not isinstance(data, dict):
        raise CheckpointError(f"stack {stack}: the checkpoint is not a JSON object")
    if "checkpoint" in data:  # the stored form
        _check_version(data.get("version"), stack, "checkpoint")
        deployment = (data.get("checkpoint") or {}).get("latest")
    elif "deployment" in data:  # `pulumi stack export`
        _check_version(data.get("version"), stack, "deployment")
        deployment = data.get("deployment")
    else:
        raise CheckpointError(f"stack {stack}: neither a checkpoint nor a deployment (keys {sorted(data)})")
    if deployment is None:
        return None
    if not isinstance(deployment, dict) or "manifest" not in deployment:
        raise CheckpointError(f"stack {stack}: the deployment has no manifest: not a Pulumi deployment v3")
    secrets = deployment.get("secrets_providers") or {}
    resources = []
    for raw in deployment.get("resources") or []:
        try:
            resources.append(StateResource(urn=raw["urn"], type=raw["type"], id=raw.get("id", ""),
                                           custom=bool(raw.get("custom")), inputs=dict(raw.get("inputs") or {}),
                                           outputs=dict(raw.get("outputs") or {}),
                                           dependencies=list(raw.get("dependencies") or [])))
        except (KeyError, TypeError) as e:
            raise CheckpointError(f"stack {stack}: a resource without {e}: the deployment format changed") from None
    return Checkpoint(stack=stack, engine_version=(deployment.get("manifest") or {}).get("version", ""),
                      secrets_type=secrets.get("type"), secrets_state=dict(secrets.get("state") or {}),
                      resources=resources, pending_operations=list(deployment.get("pending_operations") or []))


def _check_version(version: Any, stack: str, what: str) -> None:
    if version != CHECKPOINT_VERSION:
        raise CheckpointError(f"stack {stack}: {what} format version {version!r}; this scan reads version "
                              f"{CHECKPOINT_VERSION} only (use `cloudlink fleet drift --engine`)")


def decode_blob(raw: bytes, key: str) -> Any:
    """A stored checkpoint's bytes -> JSON (gzip-compressed when its name says so or it starts like gzip)."""
    if key.endswith(".gz") or raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    return json.loads(raw)


def stack_keys(project: str, stack: str, layout_version: int) -> list[str]:
    """The blob keys a stack's checkpoint may have, plain first."""
    base = f".pulumi/stacks/{project}/{stack}" if layout_version >= 1 else f".pulumi/stacks/{stack}"
    return [base + ".json", base + ".json.gz", base + ".json.zst"]


def _layout_version(meta_text: str | None) -> int:
    """meta.yaml's `version` (0 = legacy layout when there is no meta.yaml)."""
    if not meta_text:
        return 0
    import yaml

    meta = yaml.safe_load(meta_text) or {}
    return int(meta.get("version", 0))


class CheckpointReader:
    """Reads checkpoints of one project from one backend; `read(stack)` -> Checkpoint | None."""

    def read(self, stack: str) -> Checkpoint | None:  # pragma: no cover - interface
        raise NotImplementedError

    def close(self) -> None:
        pass

    @property
    def source(self) -> str:  # how checkpoints are read, for a report
        return "export"


class FileReader(CheckpointReader):
    source = "file"

    def __init__(self, root: Path, project: str, fallback: Callable[[str], Checkpoint | None]):
        self.root, self.project, self.fallback = root, project, fallback
        meta = root / ".pulumi" / "meta.yaml"
        self.layout = _layout_version(meta.read_text() if meta.is_file() else None)

    def read(self, stack: str) -> Checkpoint | None:
        found = [(p.stat().st_mtime_ns, key, p) for key in stack_keys(self.project, stack, self.layout)
                 if (p := self.root / key).is_file()]
        if not found:
            return None  # the backend has never seen this stack
        _, key, path = max(found)  # the most recently modified variant, as the engine picks
        if key.endswith(".zst"):
            return self.fallback(stack)  # no zstd in the standard library: let the engine read it
        try:
            return parse_checkpoint(decode_blob(path.read_bytes(), key), stack)
        except (OSError, ValueError) as e:
            raise CheckpointError(f"stack {stack}: cannot read {key}: {e}") from None


class PostgresReader(CheckpointReader):
    """The DIY PostgreSQL backend's table, read with one connection and one query per stack."""

    source = "postgres"

    def __init__(self, url: str, project: str, fallback: Callable[[str], Checkpoint | None]):
        import pg8000.native

        self.project, self.fallback = project, fallback
        self._lock = threading.Lock()
        parsed = urlparse(url)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.table = query.get("table", "pulumi_state")
        if not self.table.replace("_", "").isalnum():
            raise CheckpointError(f"PostgreSQL backend: table name {self.table!r} is not a plain identifier")
        sslmode = query.get("sslmode", "prefer")
        context: Any = None
        if sslmode in ("require", "verify-ca", "verify-full"):
            context = ssl.create_default_context(cafile=query.get("sslrootcert"))
            if sslmode == "require":
                context.check_hostname, context.verify_mode = False, ssl.CERT_NONE
        try:
            self.db = pg8000.native.Connection(
                user=unquote(parsed.username or "") or os.environ.get("PGUSER") or os.environ.get("USER", ""),
                password=unquote(parsed.password or "") or os.environ.get("PGPASSWORD"),
                host=parsed.hostname or os.environ.get("PGHOST", "localhost"),
                port=parsed.port or int(os.environ.get("PGPORT", "5432")),
                database=unquote(parsed.path.lstrip("/")) or os.environ.get("PGDATABASE"),
                ssl_context=context, timeout=30)
        except Exception as e:  # noqa: BLE001 - the driver's errors have no common base worth naming
            raise CheckpointError(f"PostgreSQL backend: cannot connect: {type(e).__name__}") from None
        # A non-file DIY backend prefixes every key with the URL's path (pkg/backend/diy/backend.go: a
        # `blob.PrefixedBucket` of `bucketSubDir`): for postgres://host/fleet, `fleet/.pulumi/...`.
        sub = parsed.path.lstrip("/")
        self.prefix = sub + ("/" if sub and not sub.endswith("/") else "")
        rows = self.db.run(f"SELECT data FROM {self.table} WHERE key = :k", k=self.prefix + ".pulumi/meta.yaml")
        self.layout = _layout_version(self._bytes(rows[0][0]).decode() if rows else None)

    @staticmethod
    def _bytes(data: Any) -> bytes:
        blob = json.loads(data) if isinstance(data, str) else data
        return base64.b64decode(blob["data"])

    def read(self, stack: str) -> Checkpoint | None:
        keys = [self.prefix + k for k in stack_keys(self.project, stack, self.layout)]
        with self._lock:  # one connection, many scanning threads: one query at a time
            rows = self.db.run(f"SELECT key, data, updated_at FROM {self.table} WHERE key IN (:a, :b, :c)",
                               a=keys[0], b=keys[1], c=keys[2])
        if not rows:
            return None
        key, data, _ = max(rows, key=lambda r: r[2])  # the most recently written variant
        if key.endswith(".zst"):
            return self.fallback(stack)
        try:
            return parse_checkpoint(decode_blob(self._bytes(data), key), stack)
        except (ValueError, KeyError, TypeError) as e:
            raise CheckpointError(f"stack {stack}: cannot read {key} from PostgreSQL: {e}") from None

    def close(self) -> None:
        self.db.close()


BUCKET_READS = 8  # concurrent checkpoint reads from an object store, whatever the scan's --parallel


class BucketReader(CheckpointReader):
    """An object-store DIY backend (s3://, azblob://, gs://): one listing, then one bounded read per stack."""

    def __init__(self, bucket: Any, project: str, fallback: Callable[[str], Checkpoint | None],
                 reads: int = BUCKET_READS):
        from .buckets import BucketError

        self.bucket, self.project, self.fallback = bucket, project, fallback
        self._reads = threading.BoundedSemaphore(reads)
        try:
            meta = bucket.read(".pulumi/meta.yaml")
            self.layout = _layout_version(meta.decode() if meta else None)
            folder = f".pulumi/stacks/{project}/" if self.layout >= 1 else ".pulumi/stacks/"
            self.blobs = {blob.key: blob for blob in bucket.listing(folder)}  # the one listing of the fleet
        except BucketError as e:
            raise CheckpointError(str(e)) from None
        self.listings = 1

    @property
    def source(self) -> str:
        return self.bucket.scheme

    def read(self, stack: str) -> Checkpoint | None:
        from .buckets import BucketError

        found = [(self.blobs[key].modified, key) for key in stack_keys(self.project, stack, self.layout)
                 if key in self.blobs]
        if not found:
            return None  # the backend has never seen this stack
        _, key = max(found)  # the newest variant; on a tie the later key, as the engine's listing loop keeps
        if key.endswith(".zst"):
            return self.fallback(stack)
        try:
            with self._reads:
                raw = self.bucket.read(key)
        except BucketError as e:
            raise CheckpointError(f"stack {stack}: {e}") from None
        if raw is None:
            raise CheckpointError(f"stack {stack}: {key} was deleted while the scan ran")
        try:
            return parse_checkpoint(decode_blob(raw, key), stack)
        except (ValueError, EOFError) as e:
            raise CheckpointError(f"stack {stack}: cannot read {key}: {e}") from None


class ExportReader(CheckpointReader):
    """Any other DIY backend: `pulumi stack export` (the engine reads its own state; one process a stack)."""

    def __init__(self, export: Callable[[str], Checkpoint | None]):
        self.export = export

    def read(self, stack: str) -> Checkpoint | None:
        return self.export(stack)


def exporter(project_dir: Path, env: dict[str, str]) -> Callable[[str], Checkpoint | None]:
    """`pulumi stack export --stack S` -> Checkpoint (None when the backend has no such stack)."""
    from .engine import run_pulumi

    def export(stack: str) -> Checkpoint | None:
        done = run_pulumi(["stack", "export", "--stack", stack], project_dir, env)
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip()
            if "no stack named" in said or "not found" in said:
                return None
            raise CheckpointError(f"stack {stack}: pulumi stack export failed: "
                                  f"{said.splitlines()[-1] if said else done.returncode}")
        return parse_checkpoint(json.loads(done.stdout), stack)

    return export


def open_reader(backend_url: str, project: str, project_dir: Path, env: dict[str, str]) -> CheckpointReader:
    """The natively reading reader for this backend, else the `stack export` fallback."""
    export = exporter(project_dir, env)
    root = file_backend_dir(backend_url)
    if root is not None:
        return FileReader(root, project, export)
    if urlparse(backend_url).scheme in ("postgres", "postgresql"):
        return PostgresReader(backend_url, project, export)
    from .buckets import BucketError, Unsupported, is_object_store, open_bucket

    if is_object_store(backend_url):
        try:
            return BucketReader(open_bucket(backend_url), project, export)
        except Unsupported:
            pass  # the engine reads what this module does not open (an assumed role, ...)
        except BucketError as e:
            raise CheckpointError(str(e)) from None
    return ExportReader(export)
