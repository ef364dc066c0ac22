"""Ctrl-C reaches an engine exactly once, and only while it can cancel cleanly (lock held, handler on)."""

from __future__ import annotations

import signal

from pulumi.automation import EngineEvent

from cloudlink_provider.fleet.workspace import EngineRun

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
