"""Where a project's stacks sit in a DIY backend (pulumi/pulumi `pkg/backend/diy`: store.go, meta.go, lock.go).

Owns the key layout, in both forms the engine knows:

- project-scoped (`.pulumi/meta.yaml` `version: 1`): `.pulumi/stacks/<project>/<stack>.json`,
  locks in `.pulumi/locks/organization/<project>/<stack>/`, backups and history in
  `.pulumi/{backups,history}/<project>/<stack>/`;
- legacy (no meta.yaml, version 0): the same without the project folder, and locks in `.pulumi/locks/<stack>/`.

A checkpoint may be stored plain, gzip-compressed (`.json.gz`) or zstd-compressed (`.json.zst`).
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .buckets import Bucket

META = ".pulumi/meta.yaml"
EXTENSIONS = (".json", ".json.gz", ".json.zst")


@dataclass(frozen=True)
class Layout:
    project: str
    version: int  # meta.yaml's version: 1 project-scoped, 0 legacy

    @classmethod
    def of(cls, bucket: Bucket, project: str) -> "Layout":
        raw = bucket.read(META)
        version = int((yaml.safe_load(raw) or {}).get("version", 0)) if raw else 0
        return cls(project, version)

    def _stacks_dirs(self) -> list[str]:
        """The stacks folder of this layout first, then the other (repairs look in both)."""
        scoped, legacy = f".pulumi/stacks/{self.project}", ".pulumi/stacks"
        return [scoped, legacy] if self.version >= 1 else [legacy, scoped]

    def checkpoint_keys(self, stack: str) -> list[str]:
        """The keys the stack's checkpoint may have in this layout, plain first."""
        return [f"{self._stacks_dirs()[0]}/{stack}{ext}" for ext in EXTENSIONS]

    def all_checkpoint_keys(self, stack: str) -> list[str]:
        """Both layouts' keys (a repair looks wherever the stack is)."""
        return [f"{d}/{stack}{ext}" for d in self._stacks_dirs() for ext in EXTENSIONS]

    def lock_prefixes(self, stack: str) -> list[str]:
        return [f".pulumi/locks/organization/{self.project}/{stack}/", f".pulumi/locks/{stack}/"]

    def backup_prefixes(self, stack: str) -> list[str]:
        return [f".pulumi/backups/{self.project}/{stack}/", f".pulumi/backups/{stack}/"]

    def history_prefixes(self, stack: str) -> list[str]:
        return [f".pulumi/history/{self.project}/{stack}/", f".pulumi/history/{stack}/"]
