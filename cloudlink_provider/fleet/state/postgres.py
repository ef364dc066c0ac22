"""The DIY PostgreSQL backend's table as a bucket (pulumi/pulumi `pkg/backend/diy/postgres`: bucket.go, schema.sql).

One row per blob in the table `pulumi_state` (or `?table=`): `key` is the blob's
path under the URL's path as a prefix (as for every non-file DIY backend:
`postgres://host/fleet` -> `fleet/.pulumi/...`), `data` is JSON `{"data": base64(bytes)}`,
`updated_at` when it was last written. One connection, one statement at a time.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import threading
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from .errors import StateError


class PostgresBucket:
    def __init__(self, url: str):
        import pg8000.native  # only when a PostgreSQL backend is used

        self.url = url
        self._lock = threading.Lock()
        parsed = urlparse(url)
        query = {k: v[-1] for k, v in parse_qs(parsed.query).items()}
        self.table = query.get("table", "pulumi_state")
        if not self.table.replace("_", "").isalnum():
            raise StateError(f"PostgreSQL backend: table name {self.table!r} is not a plain identifier")
        sslmode = query.get("sslmode", "prefer")
        context: ssl.SSLContext | None = None
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
            raise StateError(f"PostgreSQL backend: cannot connect: {type(e).__name__}") from None
        # pkg/backend/diy/backend.go: a `blob.PrefixedBucket` of the URL's path (`bucketSubDir`)
        sub = parsed.path.lstrip("/")
        self.prefix = sub + ("/" if sub and not sub.endswith("/") else "")

    def _run(self, sql: str, missing_ok: bool = True, **params: Any) -> list[list[Any]]:
        """`missing_ok`: a missing table reads as an empty backend (reads); a write must never vanish quietly."""
        with self._lock:
            try:
                return self.db.run(sql, **params)
            except Exception as e:  # noqa: BLE001 - the driver's errors have no common base worth naming
                if missing_ok and "does not exist" in str(e):
                    return []
                raise StateError(f"PostgreSQL backend: {type(e).__name__}") from None

    @staticmethod
    def _bytes(data: Any) -> bytes:
        blob = json.loads(data) if isinstance(data, str) else data
        return base64.b64decode(blob["data"])

    def list(self, prefix: str) -> list[str]:
        like = (self.prefix + prefix).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._run(f"SELECT key FROM {self.table} WHERE key LIKE :p ORDER BY key", p=like)
        return [str(r[0])[len(self.prefix):] for r in rows]

    def read(self, key: str) -> bytes | None:
        rows = self._run(f"SELECT data FROM {self.table} WHERE key = :k", k=self.prefix + key)
        return self._bytes(rows[0][0]) if rows else None

    def write(self, key: str, data: bytes) -> None:
        blob = json.dumps({"data": base64.b64encode(data).decode()})
        # the engine's own statement (bucket.go): the table has key, data (JSON) and updated_at, no more
        self._run(f"INSERT INTO {self.table} (key, data) VALUES (:k, CAST(:d AS JSON)) "
                  "ON CONFLICT (key) DO UPDATE SET data = EXCLUDED.data, updated_at = now()",
                  missing_ok=False, k=self.prefix + key, d=blob)

    def delete(self, key: str) -> None:
        self._run(f"DELETE FROM {self.table} WHERE key = :k", missing_ok=False, k=self.prefix + key)

    def modified(self, key: str) -> float | None:
        rows = self._run(f"SELECT EXTRACT(EPOCH FROM updated_at) FROM {self.table} WHERE key = :k", k=self.prefix + key)
        if not rows:
            return None
        return float(rows[0][0]) if rows[0][0] is not None else 0.0

    def close(self) -> None:
        with self._lock:
            self.db.close()
