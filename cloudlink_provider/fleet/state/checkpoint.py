"""A stack's checkpoint, read straight from its DIY backend without starting the engine.

Owns the checkpoint format, as Pulumi's own source writes it (`sdk/go/common/apitype`:
`VersionedCheckpoint` version 3 with a `DeploymentV3`; pkg/backend/diy/state.go), and
the one reader of a stack's checkpoint: from the backend's bucket (buckets.py, at
the keys layout.py names; of the variants the most recently written wins, as in the
engine's `stackPath`; on a tie the later key, as its listing loop keeps), else through
the `export` function the caller hands in (`pulumi stack export`, for a backend with
no bucket here and for `.json.zst`). On an object store (a bucket with `listing`)
the scan takes one listing of the project's stacks folder per fleet for every
stack's variants and their times, then one read per stack, at most `BUCKET_READS`
at once whatever the caller's parallelism.
`.bak` files and `history/`/`backups/` are earlier states and are never read here.

It decrypts nothing (secrets.py does) and never writes. A format it does not
know (another checkpoint version, no `latest` deployment) raises
`CheckpointError` rather than being guessed at.
"""

from __future__ import annotations

import gzip
import json
import threading
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import urlparse

from ...pulumi_facts import PROVIDER_PREFIX, STACK_TYPE, urn_name
from .buckets import Bucket, UnsupportedBackend, open_bucket
from .errors import StateError
from .layout import Layout

BUCKET_READS = 8  # concurrent checkpoint reads from an object store, whatever the scan's --parallel
CHECKPOINT_VERSION = 3  # apitype.VersionedCheckpoint.Version this reader understands
Export = Callable[[str], Any]  # stack -> what `pulumi stack export` prints (parsed JSON); None: no such stack


class CheckpointError(StateError):
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
        return urn_name(self.urn)

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

    def stack_outputs(self) -> dict[str, Any]:
        """The stack's outputs (what `pulumi stack output` shows), secret ones still encrypted."""
        return next((dict(r.outputs) for r in self.resources if r.type == STACK_TYPE), {})


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



class CheckpointReader:
    """Reads checkpoints of one project from one backend: `read(stack)` -> Checkpoint | None.

    With a bucket, natively (one blob read a stack); without (`bucket` None), through `export`."""

    def __init__(self, bucket: Bucket | None, project: str, export: Export, reads: int = BUCKET_READS):
        self.bucket, self.project, self.export = bucket, project, export
        self._layout: Layout | None = None
        self._lock = threading.Lock()
        self._reads = threading.BoundedSemaphore(reads)
        self._listed: dict[str, float] | None = None  # key -> modified, from the one listing (object stores)
        self.listings = 0

    @property
    def source(self) -> str:
        """How checkpoints are read, for a report: file, postgres or export."""
        if self.bucket is None:
            return "export"
        scheme = urlparse(self.bucket.url).scheme
        return "postgres" if scheme == "postgresql" else scheme

    def layout(self) -> Layout:
        """The backend's layout; read again until the engine has written meta.yaml (it never goes back)."""
        assert self.bucket is not None
        with self._lock:
            if self._layout is None or self._layout.version == 0:
                self._layout = Layout.of(self.bucket, self.project)
            return self._layout

    def exists(self, stack: str) -> bool | None:
        """Whether the backend has the stack (`pulumi stack init` wrote its checkpoint); None: cannot tell."""
        if self.bucket is None:
            return None
        return any(self.bucket.modified(key) is not None for key in self.layout().checkpoint_keys(stack))

    def _times(self, keys: list[str]) -> dict[str, float]:
        """When each existing key was written: from the one listing of the stacks folder on an object store
        (taken on the first read of the fleet), else one `modified` a key."""
        assert self.bucket is not None
        listing = getattr(self.bucket, "listing", None)
        if listing is None:
            return {key: when for key in keys if (when := self.bucket.modified(key)) is not None}
        layout = self.layout()
        with self._lock:
            if self._listed is None:
                folder = f".pulumi/stacks/{self.project}/" if layout.version >= 1 else ".pulumi/stacks/"
                self._listed = {blob.key: blob.modified for blob in listing(folder)}
                self.listings += 1
            listed = self._listed
        return {key: listed[key] for key in keys if key in listed}

    def forget_listing(self) -> None:
        """Blobs were written since the listing (a repair): the next read lists again."""
        with self._lock:
            self._listed = None

    def read(self, stack: str) -> Checkpoint | None:
        if self.bucket is None:
            return self._exported(stack)
        keys = self.layout().checkpoint_keys(stack)
        times = self._times(keys)
        found = [(times[key], i, key) for i, key in enumerate(keys) if key in times]
        if not found:
            return None  # the backend has never seen this stack
        _, _, key = max(found)  # the most recently written variant, as the engine picks; on a tie the later
        if key.endswith(".zst"):
            return self._exported(stack)  # no zstd in the standard library: let the engine read it
        with self._reads:
            raw = self.bucket.read(key)
        if raw is None:  # a read that fails is reported, never taken for "no state"
            raise CheckpointError(f"stack {stack}: {key} was deleted while the scan ran")
        try:
            return parse_checkpoint(decode_blob(raw, key), stack)
        except (OSError, ValueError, EOFError) as e:
            raise CheckpointError(f"stack {stack}: cannot read {key}: {e}") from None

    def _exported(self, stack: str) -> Checkpoint | None:
        data = self.export(stack)
        return None if data is None else parse_checkpoint(data, stack)

    def close(self) -> None:
        if self.bucket is not None:
            self.bucket.close()


def open_reader(backend_url: str, project: str, export: Export) -> CheckpointReader:
    """The natively reading reader for this backend, else the `export` fallback."""
    try:
        bucket: Bucket | None = open_bucket(backend_url)
    except UnsupportedBackend:
        bucket = None
    return CheckpointReader(bucket, project, export)
