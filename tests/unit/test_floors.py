"""Tests and tools stand on their own floors: shared helpers live in `testkit/`, which imports nothing of
`tests/`; a unit test never imports an e2e helper; tools/ never import from `tests/`. And the one secret
assertion fails whenever a secret appears, marked or not."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testkit.secrets import assert_no_secret

ROOT = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
    return modules


@pytest.mark.parametrize("folder,forbidden", [
    ("tests/unit", "tests.e2e"), ("tools", "tests"), ("testkit", "tests"),
])
def test_no_import_reaches_into_another_floor(folder, forbidden):
    offenders = [f"{path.relative_to(ROOT)}: {module}" for path in sorted((ROOT / folder).rglob("*.py"))
                 for module in imported_modules(path) if module == forbidden or module.startswith(forbidden + ".")]
    assert offenders == []


@pytest.mark.parametrize("text", [
    "pbx password: s3cr3t-Pa55", "| acme | drifted | [secret] s3cr3t-Pa55 |", '{"password": "s3cr3t-Pa55"}',
    "...s3cr3t-Pa55", "[secret]s3cr3t-Pa55[secret]",
])
def test_a_secret_anywhere_fails_the_assertion(text):
    with pytest.raises(AssertionError, match="1 secret"):
        assert_no_secret(text, ["s3cr3t-Pa55"], "the report")


def test_no_secret_passes_and_an_empty_secret_is_a_test_bug():
    assert_no_secret("| acme | drifted | password: [secret] |", ["s3cr3t-Pa55", "other"])
    with pytest.raises(AssertionError, match="needs the secret values"):
        assert_no_secret("anything", [""])
    with pytest.raises(AssertionError, match="needs the secret values"):
        assert_no_secret("anything", [])
