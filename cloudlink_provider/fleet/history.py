"""Where a drift run keeps its JSON result for the next run: a folder, or the fleet's state backend.

Owns the bytes of the history and nothing else (what the results mean is `findings.py`'s):

- `--history DIR`: `DIR/latest.json` is the previous run; each run writes `DIR/drift-<UTC time>.json`
  and replaces `latest.json` (keep DIR between CI runs with actions/cache or an artifact); the newest
  `KEEP` timestamped runs are kept, older ones removed;
- `--history backend`: the same files under `.cloudlink/drift-history/` in the Pulumi backend the fleet
  uses (file://, s3://, azblob://, gs://, postgres://, through fleet/state/buckets.py), so every job of a
  CI matrix finds them without a cache.

With `--shard I/N` the files carry the shard (`latest-shard-2of4.json`): each shard compares with its own
previous run. A `latest.json` that is not a drift report is not trusted: the run says so and becomes the
baseline.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .state.buckets import Bucket, open_bucket, redact_url
from .state.errors import StateError

BACKEND = "backend"
PREFIX = ".cloudlink/drift-history/"
KEEP = 90  # timestamped runs kept per shard (a quarter of nightly runs); older ones are removed


def _suffix(shard: str | None) -> str:
    return f"-shard-{shard.replace('/', 'of')}" if shard else ""


def _stamp(started_at: str) -> str:
    return re.sub(r"[^0-9T]", "", started_at.split("+")[0]) + "Z"


@dataclass
class History:
    """One history location: a folder, or a bucket with a key prefix."""
    source: str  # what the report says (`history/`, `backend file:///... .cloudlink/drift-history/`)
    folder: Path | None = None
    bucket: Bucket | None = None
    shard: str | None = None
    warning: str | None = None  # set by `previous()` when latest.json could not be used

    @property
    def latest(self) -> str:
        return f"latest{_suffix(self.shard)}.json"

    def _read(self, name: str) -> bytes | None:
        if self.folder is not None:
            path = self.folder / name
            return path.read_bytes() if path.is_file() else None
        assert self.bucket is not None
        return self.bucket.read(PREFIX + name)

    def _names(self) -> list[str]:
        if self.folder is not None:
            return sorted(p.name for p in self.folder.glob("drift-*.json")) if self.folder.is_dir() else []
        assert self.bucket is not None
        names = (k[len(PREFIX):] for k in self.bucket.list(PREFIX) if k.startswith(PREFIX))
        return sorted(n for n in names if n.startswith("drift-") and "/" not in n)

    def _delete(self, name: str) -> None:
        if self.folder is not None:
            (self.folder / name).unlink(missing_ok=True)
        else:
            assert self.bucket is not None
            self.bucket.delete(PREFIX + name)

    def _write(self, name: str, data: bytes) -> None:
        if self.folder is not None:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / (name + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(self.folder / name)  # a killed run leaves the old latest.json, never half a file
            return
        assert self.bucket is not None
        self.bucket.write(PREFIX + name, data)

    def previous(self) -> dict[str, Any] | None:
        """The previous drift run's JSON, or None (no previous run, or one not to be trusted: `warning`)."""
        try:
            raw = self._read(self.latest)
        except (OSError, StateError) as e:
            self.warning = f"history {self.source}: cannot read {self.latest} ({' '.join(str(e).split())[:200]}): " \
                           "this run is the baseline"
            return None
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("operation") != "drift" or not isinstance(data.get("stacks"), list):
            self.warning = f"history {self.source}: {self.latest} is not a drift report: this run is the baseline"
            return None
        return data

    def keep(self, report: dict[str, Any]) -> str:
        """Write this run's JSON as `drift-<time>.json` and as the new latest; returns the latest's name."""
        data = (json.dumps(report, indent=2, default=str) + "\n").encode()
        self._write(f"drift-{_stamp(str(report.get('startedAt', '')))}{_suffix(self.shard)}.json", data)
        self._write(self.latest, data)
        ours = re.compile(rf"^drift-\d{{8}}T\d{{6}}Z{re.escape(_suffix(self.shard))}\.json$")
        runs = [n for n in self._names() if ours.match(n)]
        for name in runs[:-KEEP]:  # the names sort by time
            self._delete(name)
        return self.latest

    def close(self) -> None:
        if self.bucket is not None:
            self.bucket.close()


def open_history(where: str, backend_url: str, shard: str | None = None) -> History:
    """`--history DIR` or `--history backend` (the fleet's backend URL); raises StateError for a backend no
    reader here opens."""
    if where == BACKEND:
        bucket = open_bucket(backend_url)
        return History(f"backend {redact_url(backend_url)} {PREFIX}", bucket=bucket, shard=shard)
    return History(where.rstrip("/") + "/", folder=Path(where), shard=shard)


__all__ = ["BACKEND", "History", "PREFIX", "open_history"]
