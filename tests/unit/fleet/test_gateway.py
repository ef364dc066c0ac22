"""The one gateway to the engine.

`run_engine` is driven against a stand-in `pulumi` (a script that reports how it was started and
writes an event log the way the engine does), so these tests see exactly what the fleet gives every
engine: its own session, a parent-death signal, the event log, and typed errors carrying its output.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import textwrap
from pathlib import Path

import pytest
from pulumi import automation as auto

from cloudlink_provider.fleet.engine.gateway import (EngineFailed, EngineResult, EngineRun, Project, StackAlreadyExists,
                                                     StackLocked, StackNotFound, engine_failed)

FAKE_ENGINE = textwrap.dedent(f"""\
    #!{sys.executable}
    import ctypes, json, os, sys
    args = sys.argv[1:]
    pdeathsig = ctypes.c_int()
    ctypes.CDLL(None).prctl(2, ctypes.byref(pdeathsig), 0, 0, 0)  # PR_GET_PDEATHSIG
    print(json.dumps({{"args": args, "pid": os.getpid(), "sid": os.getsid(0), "pdeathsig": pdeathsig.value,
                      "debug": os.environ.get("PULUMI_DEBUG_COMMANDS")}}))
    if args[:2] == ["stack", "init"] and os.environ.get("FAKE_STACK_EXISTS"):
        print("error: stack 'organization/cloudlink-fleet/acme' already exists", file=sys.stderr)
        sys.exit(255)
    if "--event-log" in args:
        with open(args[args.index("--event-log") + 1], "a") as log:
            for event in ({{"sequence": 0, "timestamp": 1, "preludeEvent": {{"config": {{}}}}}},
                          {{"sequence": 1, "timestamp": 2, "summaryEvent": {{"resourceChanges": {{"same": 1}}}}}}):
                line = json.dumps(event) + "\\n"
                log.write(line[:15]); log.flush()  # a line may arrive in pieces
                log.write(line[15:]); log.flush()
    code = int(os.environ.get("FAKE_EXIT", "0"))
    if code:
        print("error: the update failed", file=sys.stderr)
    sys.exit(code)
    """)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Project:
    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\nstackConfigDir: stacks\n")
    (tmp_path / "stacks").mkdir()
    fake = tmp_path / "pulumi"
    fake.write_text(FAKE_ENGINE)
    fake.chmod(0o755)
    project = Project(tmp_path, (tmp_path / ".state").as_uri())
    project.command = str(fake)
    return project


def started(result: EngineResult) -> dict:
    return json.loads(result.stdout.splitlines()[0])


def test_an_engine_runs_in_its_own_session_dies_with_the_fleet_and_streams_its_events(project):
    run, events = EngineRun("acme"), []

    def on_event(event: auto.EngineEvent) -> None:  # as the fleet runner does
        run.on_event(event)
        events.append(event)

    result = project.operate("up", "acme", run, on_event, parallel=4)
    engine = started(result)
    assert engine["sid"] == engine["pid"] != os.getsid(0)  # the terminal's Ctrl-C does not reach it
    assert engine["pdeathsig"] == signal.SIGKILL  # killed with the fleet, whatever killed the fleet
    assert engine["debug"] == "true"  # the CLI's --event-log needs PULUMI_DEBUG_COMMANDS
    args = engine["args"]
    assert args[:3] == ["up", "--yes", "--skip-preview"]
    assert args[args.index("--stack") + 1] == "acme" and "--non-interactive" in args
    assert args[args.index("--parallel") + 1] == "4"
    assert [e.prelude_event is not None for e in events] == [True, False] and events[1].summary_event is not None
    assert run.pids == {engine["pid"]} and run.exit_codes == [0] and run.procs == []
    assert run.finished  # the summary closed the window in which Ctrl-C may be forwarded


def test_operation_flags_follow_their_keywords(project):
    args = started(project.operate("preview", "acme", diff=True, expect_no_changes=True, refresh=True))["args"]
    assert args[0] == "preview" and {"--diff", "--expect-no-changes", "--refresh"} <= set(args)
    assert "--event-log" not in args  # nobody listens: no log
    args = started(project.operate("refresh", "acme", clear_pending_creates=True, refresh=None))["args"]
    assert args[:3] == ["refresh", "--yes", "--skip-preview"] and "--clear-pending-creates" in args
    assert "--refresh" not in args and args[args.index("--color") + 1] == "never"
    with pytest.raises(TypeError, match="target"):
        project.operate("destroy", "acme", target=["x"])  # an option we do not pass on is an error


def test_a_failed_engine_raises_a_typed_error_carrying_what_it_printed(project):
    project.env["FAKE_EXIT"] = "1"
    run = EngineRun("acme")
    with pytest.raises(EngineFailed) as failed:
        project.operate("refresh", "acme", run, lambda e: None)
    assert failed.value.stderr == "error: the update failed\n" and failed.value.returncode == 1
    assert json.loads(failed.value.stdout.splitlines()[0])["args"][0] == "refresh"
    assert failed.value.error_lines == ["error: the update failed"] and run.exit_codes == [1]


def test_the_engines_words_pick_the_error_type_once():
    def said(stderr: str) -> type:
        return type(engine_failed(EngineResult(("x",), "", stderr, 255)))

    assert said("error: stack 'organization/p/acme' already exists") is StackAlreadyExists
    assert said("error: no stack named 'acme' found") is StackNotFound
    assert said("error: the stack is currently locked by 1 lock(s).") is StackLocked
    assert said("error: the update failed") is EngineFailed


def test_a_secret_goes_to_the_engine_on_stdin_never_on_its_command_line(project):
    fake = Path(project.command)
    fake.write_text(fake.read_text().replace("args = sys.argv[1:]",
                                             "args = sys.argv[1:] + [sys.stdin.read()] if 'set' in sys.argv else "
                                             "sys.argv[1:]"))
    args = started(project.pulumi(["config", "set", "--secret", "k"], "acme", input="s3cret\n"))["args"]
    assert args[-1] == "s3cret\n" and "s3cret" not in " ".join(args[:-1])


def test_a_failure_handling_an_event_is_raised_by_the_caller_once_the_engine_has_exited(project):
    run = EngineRun("acme")

    def broken(event: auto.EngineEvent) -> None:
        raise ValueError("cannot handle this event")

    with pytest.raises(ValueError, match="cannot handle"):
        project.operate("up", "acme", run, broken)
    assert run.exit_codes == [0] and run.procs == []  # waited for, not left running


def test_a_stack_the_backend_has_is_not_initialised_again(project):
    calls = []
    command = project.command

    def counting(args, *rest, **kw):
        calls.append(args[0])
        return original(args, *rest, **kw)

    original = project.pulumi
    project.pulumi = counting  # type: ignore[method-assign]
    project.ensure_stack("acme")  # the backend has never seen it: `stack init`
    assert calls == ["stack"]
    project.env["FAKE_STACK_EXISTS"] = "1"
    project.ensure_stack("acme")  # still not in the backend (the stand-in writes nothing): `stack init` says it exists
    assert calls == ["stack", "stack"]
    checkpoint = Path(project.backend_url[len("file://"):]) / ".pulumi" / "stacks" / "acme.json"
    checkpoint.parent.mkdir(parents=True)
    checkpoint.write_text('{"version": 3, "checkpoint": {"stack": "acme", "latest": null}}')
    project.ensure_stack("acme")  # in the backend now: no process at all
    assert calls == ["stack", "stack"] and project.command == command


def test_no_module_imports_private_sdk_code():
    """Private SDK modules and names (`pulumi.automation._cmd`, `_fixup_path`) change without notice."""
    import re

    root = Path(__file__).resolve().parents[3]
    private = re.compile(r"^\s*(from\s+pulumi[\w.]*\._\w*"            # from pulumi.automation._cmd ...
                         r"|from\s+pulumi[\w.]*\s+import\s+.*\b_\w+"  # from pulumi.x import _name
                         r"|import\s+pulumi[\w.]*\._)", re.MULTILINE)
    offenders = [f"{path.relative_to(root)}: {match.group(0).strip()}"
                 for folder in ("cloudlink_provider", "tests", "tools") for path in (root / folder).rglob("*.py")
                 for match in private.finditer(path.read_text())]
    assert offenders == []


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has exited; only its reaper is missing


def test_a_process_started_by_a_waiting_thread_dies_with_the_process_that_started_it():
    """What keeps an engine from outliving a SIGKILLed fleet: the fleet starts it from a worker thread
    that waits for it, so the parent-death signal fires exactly when the fleet process dies."""
    import subprocess
    import time

    starter = textwrap.dedent(f"""\
        import subprocess, sys, threading
        from cloudlink_provider.fleet.engine.env import die_with_parent
        def start():
            child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"],
                                     preexec_fn=die_with_parent())
            print(child.pid, flush=True)
            child.wait()
        worker = threading.Thread(target=start)
        worker.start()
        worker.join()
        """)
    fleet = subprocess.Popen([sys.executable, "-c", starter], stdout=subprocess.PIPE, text=True)
    engine = 0
    try:
        engine = int(fleet.stdout.readline())
        assert _alive(engine)
        fleet.kill()
        fleet.wait()
        deadline = time.monotonic() + 5
        while _alive(engine):
            assert time.monotonic() < deadline, "the child outlived the process that started it"
            time.sleep(0.02)
    finally:
        if fleet.poll() is None:
            fleet.kill()
            fleet.wait()
        fleet.stdout.close()
        if engine and _alive(engine):  # the test failed: leave nothing behind
            os.kill(engine, signal.SIGKILL)
