"""The fleet's one domain error and the exit codes a CI job can branch on.

Everything in fleet/ that must stop a command raises `FleetError` with the exit
code it deserves; the CLI prints the message and exits with that code. A single
customer failing is not an error here: it is a row in the report.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0           # every customer clean (or the command did what it was asked)
    FAILURE = 1      # at least one customer failed, or the command could not run
    USAGE = 2        # bad usage or input: unknown option, no stacks matched, bad --shard
    DRIFT = 3        # `drift` (or `preview --expect-no-changes`) found changes; no customer failed
    UNMANAGED = 4    # `drift --fail-on-unmanaged`: CloudLink has objects no stack manages; no drift, no failure
    STANDARDS = 5    # `standards`: an alert or enforce standard is violated; no customer failed
    INTERRUPTED = 130  # stopped by Ctrl-C (SIGINT) after cancelling what was running


class FleetError(Exception):
    """A fleet command cannot go on; `exit_code` says how the CLI ends."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.FAILURE):
        super().__init__(message)
        self.exit_code = exit_code


def usage(message: str) -> FleetError:
    return FleetError(message, ExitCode.USAGE)
