"""Text from the engine and from CloudLink reaches the terminal literally: never read as rich markup."""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from typer.testing import CliRunner

from cloudlink_provider.fleet.events import FieldChange, ResourceChange
from cloudlink_provider.fleet.report import DRIFTED, FAILED, FleetReport, StackOutcome
from cloudlink_provider.fleet.render.view import FleetView

ODD = "boom [/oops] [secret] [bold]not bold[/bold] [correlation id 1f2e]"


def console() -> Console:
    return Console(file=io.StringIO(), width=400, force_terminal=False, color_system=None)


def output(c: Console) -> str:
    return " ".join(c.file.getvalue().split())  # type: ignore[attr-defined]


def failed(name: str = "acme", error: str = ODD) -> StackOutcome:
    return StackOutcome(name, FAILED, error=error)


def drifted() -> StackOutcome:
    change = ResourceChange("urn:pulumi:acme::p::cloudlink:Account::account", "cloudlink:Account", "account",
                            "update", [FieldChange("name", "[/evil]", "[secret]")],
                            outside=[FieldChange("name", "x", "[/evil]")])
    return StackOutcome("acme", DRIFTED, {"update": 1}, resources=[change])


def test_a_failure_line_prints_markup_like_text_literally():
    c = console()
    view = FleetView(c, ["acme", "baltic"], "drift", 1)
    with view:
        view.finished(failed("baltic"))
        view.finished(drifted())
    text = output(c)
    assert f"baltic: failed - {ODD}" in text
    assert '"[/evil]" -> "[secret]" [changed outside Pulumi: name]' in text


def test_the_live_table_shows_markup_like_text_literally():
    c = console()
    view = FleetView(c, ["acme", "baltic"], "up", 2)
    view.started("acme")
    view.activity("acme", "updating [/oops] [secret]")
    view.finished(StackOutcome("baltic", FAILED, error="[/x] broke"))
    c.print(view._render())
    text = output(c)
    assert "updating [/oops] [secret]" in text and "[/x] broke" in text


def test_the_final_report_prints_markup_like_text_literally():
    c = console()
    report = FleetReport("drift", "file:///s", [
        drifted(),
        failed("baltic", ODD + "\nsecond [/line]"),
    ], released_locks=["acme"])
    FleetView(c, ["acme", "baltic"], "drift", 2).print_report(report)
    text = output(c)
    assert ODD in text and "second [/line]" in text
    assert "[changed outside Pulumi: name]" in text and '"[/evil]" -> "[secret]"' in text


@pytest.fixture
def project(tmp_path):
    (tmp_path / "stacks").mkdir()
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    return tmp_path


def test_the_import_table_prints_cloudlink_text_literally(project, monkeypatch):
    from cloudlink_provider import cli
    from cloudlink_provider.fleet.commands import importer

    class FakeImporter:
        def __init__(self, *args, **kwargs):
            pass

        def import_one(self, account_id, name):
            return importer.ImportResult(account_id, "Acme [/GmbH] [secret]", None, importer.FAILED,
                                         "CloudLink said [correlation id 7] [/no]")

    monkeypatch.setattr(importer, "Importer", FakeImporter)
    monkeypatch.setenv("COLUMNS", "300")
    result = CliRunner().invoke(cli.app, ["fleet", "import", "--account-id", "a-1", "--project-dir", str(project)],
                                env={"PULUMI_BACKEND_URL": "", "PULUMI_CONFIG_PASSPHRASE": "unit-view",
                                     "CLOUDLINK_ENDPOINT": "http://127.0.0.1:1",
                                     "CLOUDLINK_CLIENT_ID": "id", "CLOUDLINK_CLIENT_SECRET": "s"})
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    text = " ".join(result.output.split())
    assert "Acme [/GmbH] [secret]" in text and "CloudLink said [correlation id 7] [/no]" in text


def test_the_scan_shows_a_progress_bar_on_a_terminal_and_lines_in_ci():
    from cloudlink_provider.fleet.render.progress import ScanView
    from cloudlink_provider.fleet.report import UNCHANGED

    names = [*(f"c{i}" for i in range(999)), "acme"]
    c = console()
    view = ScanView(c, names, "drift (scan)", 16)
    for name in names[:250]:
        view.finished(StackOutcome(name, UNCHANGED))
    view.finished(drifted())
    c.print(view._render())
    text = output(c)
    assert "251/1000" in text and "1 drifted, 250 unchanged" in text
    assert "c998" not in text  # a bar, not a row per customer
    assert "c0: unchanged" in text  # CI (no terminal): one line per customer as it finishes
