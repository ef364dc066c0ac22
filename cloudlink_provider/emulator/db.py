"""SQLite persistence: one document table for every entity, guarded by one lock.

Every entity is a JSON document keyed by (kind, id) with the id of the account
that owns it. All reads and writes go through one connection under one
re-entrant lock, so concurrent requests (uvicorn runs sync handlers in a thread
pool) never interleave a check with the write that depends on it. State lives in
the file, so a restart with the same path sees the same world.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from typing import Any, Iterator

SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
  kind TEXT NOT NULL,
  id TEXT NOT NULL,
  account_id TEXT,
  seq INTEGER NOT NULL,
  data TEXT NOT NULL,
  PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS records_by_account ON records(kind, account_id, seq);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Database:
    def __init__(self, path: str):
        self.path = path
        self.lock = threading.RLock()
        self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.executescript(SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run a block of checks and writes atomically (nested calls join the outer one)."""
        with self.lock:
            if self._conn.in_transaction:
                yield
                return
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")

    def next_value(self, name: str) -> int:
        with self.transaction():
            self._conn.execute(
                "INSERT INTO counters(name, value) VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1", (name,))
            return self._conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()[0]

    def put(self, kind: str, id_: str, data: dict[str, Any], account_id: str | None = None) -> dict[str, Any]:
        with self.transaction():
            row = self._conn.execute("SELECT seq FROM records WHERE kind = ? AND id = ?", (kind, id_)).fetchone()
            seq = row[0] if row else self.next_value("seq")
            self._conn.execute(
                "INSERT OR REPLACE INTO records(kind, id, account_id, seq, data) VALUES (?, ?, ?, ?, ?)",
                (kind, id_, account_id, seq, json.dumps(data)))
        return data

    def get(self, kind: str, id_: str) -> dict[str, Any] | None:
        with self.lock:
            row = self._conn.execute("SELECT data FROM records WHERE kind = ? AND id = ?", (kind, id_)).fetchone()
        return json.loads(row[0]) if row else None

    def list(self, kind: str, account_id: str | None = None) -> list[dict[str, Any]]:
        """Every document of a kind (optionally of one account), oldest first."""
        sql, args = "SELECT data FROM records WHERE kind = ?", [kind]
        if account_id is not None:
            sql += " AND account_id = ?"
            args.append(account_id)
        with self.lock:
            rows = self._conn.execute(sql + " ORDER BY seq", args).fetchall()
        return [json.loads(r[0]) for r in rows]

    def select(self, kind: str, account_id: str | None, where: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Documents (of one account, or of all with None) matching a SQL condition over `data`
        (json_extract), oldest first.

        `where` must be built from trusted fragments only; values go in `params` (`:name` placeholders).
        """
        owner = "" if account_id is None else "AND account_id = :_account "
        sql = f"SELECT data FROM records WHERE kind = :_kind {owner}AND ({where}) ORDER BY seq"
        with self.lock:
            rows = self._conn.execute(sql, {**params, "_kind": kind, "_account": account_id}).fetchall()
        return [json.loads(r[0]) for r in rows]

    def delete(self, kind: str, id_: str) -> bool:
        with self.transaction():
            cur = self._conn.execute("DELETE FROM records WHERE kind = ? AND id = ?", (kind, id_))
        return cur.rowcount > 0

    def delete_owned_by(self, account_id: str) -> None:
        """Remove every document an account owns (the account itself included)."""
        with self.transaction():
            self._conn.execute("DELETE FROM records WHERE account_id = ?", (account_id,))

    def wipe(self) -> None:
        with self.transaction():
            self._conn.execute("DELETE FROM records")
            self._conn.execute("DELETE FROM counters")

    def close(self) -> None:
        with self.lock:
            self._conn.close()
