"""Ctrl-C reaches an engine exactly once, and only while it can cancel cleanly (lock held, handler on)."""

from __future__ import annotations

import signal

from pulumi.automation import EngineEvent

from cloudlink_provider.fleet.engine.gateway import EngineRun

PRELUDE = EngineEvent.from_json({"preludeEvent": {"config": {}}})
STEP = EngineEvent.from_json({"diagnosticEvent": {"message": "x", "color": "never", "severity": "debug"}})
SUMMARY = EngineEvent.from_json({"summaryEvent": {"resourceChanges": {"same": 1}}})


class FakeProcess:
    """Stands in for the engine's Popen: records the signals it is sent."""

    def __init__(self, pid: int = 4242):
        self.pid = pid
        self.signals: list[int] = []
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        self.signals.append(sig)


def running() -> tuple[EngineRun, FakeProcess]:
    run, proc = EngineRun("acme"), FakeProcess()
    run.attach(proc)  # type: ignore[arg-type]
    return run, proc


def test_cancel_inside_the_engine_sends_one_sigint_and_a_second_only_when_hard():
    run, proc = running()
    run.on_event(PRELUDE)
    run.cancel()
    run.cancel()
    assert proc.signals == [signal.SIGINT]
    run.cancel(hard=True)
    assert proc.signals == [signal.SIGINT, signal.SIGINT] and run.killed


def test_cancel_before_the_engine_started_waits_for_its_first_event():
    run, proc = running()
    run.cancel()
    assert proc.signals == []  # the engine may hold the lock without its Ctrl-C handler yet
    run.on_event(STEP)
    assert proc.signals == [signal.SIGINT]
    run.on_event(STEP)
    assert proc.signals == [signal.SIGINT]


def test_no_signal_after_the_summary_the_engine_is_releasing_its_lock():
    run, proc = running()
    run.on_event(PRELUDE)
    run.on_event(SUMMARY)
    run.cancel()
    run.cancel(hard=True)
    assert proc.signals == [] and not run.killed


def test_a_finished_process_is_not_signalled_and_a_signal_death_counts_as_killed():
    run, proc = running()
    run.on_event(PRELUDE)
    proc.returncode = 0
    run.cancel()
    assert proc.signals == []
    run.detach(proc, -signal.SIGINT)  # type: ignore[arg-type]
    assert run.killed and run.pids == {4242}


def test_only_locks_our_dead_engines_held_are_released(tmp_path):
    import json
    import socket

    from cloudlink_provider.fleet.commands.run import release_orphaned_locks
    from cloudlink_provider.fleet.engine.gateway import Project

    (tmp_path / "Pulumi.yaml").write_text("name: cloudlink-fleet\nruntime: python\n")
    project = Project(tmp_path, (tmp_path / "state").as_uri())
    locks = tmp_path / "state" / ".pulumi" / "locks" / "organization" / "cloudlink-fleet"
    here = socket.gethostname()
    for stack, pid, host in (("acme", 4242, here), ("baltic", 999, here), ("harbour", 4242, "elsewhere")):
        (locks / stack).mkdir(parents=True)
        (locks / stack / "l.json").write_text(json.dumps({"pid": pid, "hostname": host, "username": "ci"}))
    run, proc = running()
    proc.returncode = -signal.SIGINT
    run.detach(proc, -signal.SIGINT)  # type: ignore[arg-type]
    assert release_orphaned_locks(project, [run, EngineRun("baltic"), EngineRun("harbour")]) == ["acme"]
    assert sorted(p.parent.name for p in (tmp_path / "state" / ".pulumi" / "locks").rglob("*.json")) == [
        "baltic", "harbour"]
