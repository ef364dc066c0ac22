"""A DIY backend as a bucket of blobs, the way the engine sees it (gocloud.dev `blob.Bucket`).

Owns the small interface every backend reader here goes through, and its
`file://` implementation. A key is a `/`-separated path under the backend's
root (`.pulumi/stacks/<project>/<stack>.json`); for every backend but `file://`
the engine prefixes keys with the URL's path, which each bucket applies itself.
`open_bucket(url)` picks the implementation: `file://` here, `postgres://` in
`postgres`; another scheme raises `UnsupportedBackend` (callers then use the
engine itself: `pulumi stack export`, the engine's lock messages).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlparse

from .errors import StateError
from .postgres import PostgresBucket


class Bucket(Protocol):
    url: str

    def list(self, prefix: str) -> list[str]: ...          # keys under prefix (recursive), sorted
    def read(self, key: str) -> bytes | None: ...          # None when absent
    def write(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...
    def modified(self, key: str) -> float | None: ...      # when the blob was last written; None when absent
    def close(self) -> None: ...


class UnsupportedBackend(StateError):
    """No bucket here reads this backend's scheme."""


def file_backend_dir(url: str) -> Path | None:
    """The directory a `file://` backend URL names (percent-decoded, query dropped, `~` expanded as the
    engine does); None for other backends."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.netloc + parsed.path)).expanduser()


class FileBucket:
    """`file://DIR`: each blob a file under DIR (fileblob also keeps `<blob>.attrs` sidecars, listed as blobs)."""

    def __init__(self, url: str, root: Path):
        self.url, self.root = url, root

    def _path(self, key: str) -> Path:
        return self.root / Path(*key.split("/"))

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(path.name + ".cloudlink-write")
        scratch.write_bytes(data)
        os.replace(scratch, path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def modified(self, key: str) -> float | None:
        try:
            return self._path(key).stat().st_mtime_ns / 1e9
        except OSError:
            return None

    def close(self) -> None:
        pass


def open_bucket(url: str) -> Bucket:
    """The bucket for a backend URL; `UnsupportedBackend` for a scheme no bucket here reads."""
    root = file_backend_dir(url)
    if root is not None:
        return FileBucket(url, root)
    if urlparse(url).scheme in ("postgres", "postgresql"):
        return PostgresBucket(url)
    raise UnsupportedBackend(f"no native reader for {urlparse(url).scheme}:// backends")
