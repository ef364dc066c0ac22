"""The one assertion that no secret leaks into what a partner reads: a report, a log, a diff, a state file."""

from __future__ import annotations

from collections.abc import Iterable


def assert_no_secret(text: str, secrets: Iterable[str | None], where: str = "the text") -> None:
    """Fail when any of `secrets` appears anywhere in `text` (masked or not, marked `[secret]` or not).

    A secret that is empty or None is a test bug, not a pass: it would be found in any text."""
    secrets = list(secrets)
    assert secrets and all(secrets), f"assert_no_secret needs the secret values themselves, got {secrets!r}"
    leaked = [s for s in secrets if s in text]
    assert not leaked, f"{len(leaked)} secret(s) appear in {where}: " + ", ".join(
        f"{s[:2]}...({len(s)} chars) at offset {text.index(s)}" for s in leaked)
