"""A half-written blob write undone, and a damaged checkpoint restored from Pulumi's own copies.

The file:// bucket (gocloud.dev fileblob) writes a blob to a `.<hex>.tmp` file,
then its `<blob>.attrs` sidecar, then renames: a kill in between leaves an empty
or torn `.attrs` (every command then fails with `failed to load checkpoint: EOF`)
and a stray `.tmp`. Both are removed. A checkpoint that is itself unreadable is
restored from Pulumi's own copies (pkg/backend/diy/state.go): `<stack>.json.bak`,
then `backups/`, then `history/`, newest first. Only call it when no live engine
holds the stack: a live engine's `.tmp` is a write in progress.
"""

from __future__ import annotations

import gzip
import json
import re

from .buckets import Bucket
from .checkpoint import decode_blob
from .errors import StateError
from .layout import Layout

_TMP = re.compile(r"\.[0-9a-f]+\.tmp$")


class RecoverError(StateError):
    """This stack cannot be recovered here; the message says what to do."""


def readable_checkpoint(raw: bytes | None, key: str = "") -> bool:
    """The blob holds a whole checkpoint (JSON with a `checkpoint`, gzip-compressed or not)."""
    if raw is None:
        return False
    try:
        data = decode_blob(raw, key)
    except (ValueError, EOFError, OSError):
        return False
    return isinstance(data, dict) and "checkpoint" in data


def _torn_sidecar(raw: bytes | None) -> bool:
    try:
        json.loads(raw or b"x")
    except ValueError:
        return True
    return False


def _name(key: str) -> str:
    return key.rsplit("/", 1)[-1]


def backups(bucket: Bucket, layout: Layout, stack: str) -> list[str]:
    """Pulumi's own earlier copies of the checkpoint, newest first: `.bak`, then backups/, then history/."""
    baks = [f"{key}.bak" for key in layout.all_checkpoint_keys(stack) if not key.endswith(".zst")]
    older = [key for prefix in layout.backup_prefixes(stack) for key in bucket.list(prefix)
             if _name(key).startswith(f"{stack}.") and ".json" in _name(key)]
    older += [key for prefix in layout.history_prefixes(stack) for key in bucket.list(prefix)
              if ".checkpoint.json" in _name(key)]
    older = [key for key in older if not key.endswith((".attrs", ".tmp"))]
    return ([key for key in baks if bucket.read(key) is not None]
            + sorted(older, key=lambda k: bucket.modified(k) or 0.0, reverse=True))


def _stack_blobs(bucket: Bucket, layout: Layout, stack: str) -> list[str]:
    """Every blob of this stack: beside its checkpoint, and in its lock, backups and history folders."""
    keys = []
    for folder in {key.rsplit("/", 1)[0] + "/" for key in layout.all_checkpoint_keys(stack)}:
        keys += [k for k in bucket.list(folder) if "/" not in k[len(folder):] and _name(k).startswith(f"{stack}.")]
    for prefix in [*layout.backup_prefixes(stack), *layout.history_prefixes(stack), *layout.lock_prefixes(stack)]:
        keys += [k for k in bucket.list(prefix) if "/" not in k[len(prefix):]]
    return sorted(set(keys))


def repair_blobs(bucket: Bucket, layout: Layout, stack: str) -> list[str]:
    """Undo a half-written blob write of this stack (torn `.attrs`, stray `.tmp`, unreadable checkpoint)."""
    done: list[str] = []
    for key in _stack_blobs(bucket, layout, stack):
        if key.endswith(".attrs") and _torn_sidecar(bucket.read(key)):
            bucket.delete(key)
            done.append(f"removed the half-written {key}")
        elif _TMP.search(key):
            bucket.delete(key)
            done.append(f"removed the unfinished write {key}")
    for key in layout.all_checkpoint_keys(stack):
        raw = bucket.read(key)
        if raw is None or key.endswith(".zst") or readable_checkpoint(raw, key):
            continue
        source = next((k for k in backups(bucket, layout, stack) if readable_checkpoint(bucket.read(k), k)), None)
        if source is None:
            raise RecoverError(f"{key} is damaged and Pulumi kept no intact copy of it (.bak, backups/, "
                               "history/): re-create the stack from CloudLink with `cloudlink fleet import`")
        copy = bucket.read(source) or b""
        if key.endswith(".gz") != (copy[:2] == b"\x1f\x8b"):
            copy = gzip.compress(copy) if key.endswith(".gz") else gzip.decompress(copy)
        bucket.write(key, copy)
        bucket.delete(f"{key}.attrs")  # its checksum was the damaged file's
        done.append(f"restored the damaged {key} from Pulumi's copy {source} "
                    "(what the dead run made after it is adopted by the next `up`)")
    return done
