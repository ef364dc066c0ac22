#!/usr/bin/env python
"""Benchmark the engine-driven fleet operations at scale: `fleet up`, `preview`, `drift --engine`.

Not a test: it measures, prints and checks. N full customers (all six resources
over the four PBX types, stack files written as `cloudlink fleet import` writes
them: testkit/fleet_project.py, shared with tools/bench_fleet.py and the tests) in a scratch
project with its own `file://` backend, against a fresh emulator started in this
process at its default rate limit (200 requests/s per partner). Then, one after
the other, the real CLI as a subprocess with the fleet's JSON report:

    cloudlink fleet up             every customer created
    cloudlink fleet preview        nothing left to do (the plan is the contract)
    cloudlink fleet drift --engine nothing drifted

For each: the `pulumi` CLI processes it started (by command), wall time, CPU seconds (user+system of the CLI and every process it
waited for, from wait4), peak RSS of the largest process (wait4) and of the
whole process tree (the run's processes found by an environment marker in
/proc, sampled every `--sample` seconds: summed PSS, which counts shared pages
once, and summed RSS, which counts them per process), API calls by service and 429 answers
(the emulator's journal), the report's outcomes and failures; then that no
stack lock is left in the backend (`.pulumi/locks/`) and no process of the run
(engine, language host, program, provider) outlives it. Exits 1 if a customer
failed, a lock or a process was left, or preview/drift found changes.

    .venv/bin/python tools/bench_scale.py                   # 200 customers, the fleet's default --parallel
    .venv/bin/python tools/bench_scale.py --customers 10 --parallel 4
    .venv/bin/python tools/bench_scale.py --customers 50 --rate-limit 5   # a tight API limit: 429s
    .venv/bin/python tools/bench_scale.py --customers 50 --compare-ref main   # before (main) and after, side by side

`--compare-ref REF` runs `fleet up` and `fleet preview` twice in one run against the
same emulator: first with the code of REF (a `git worktree` of it, this checkout's
virtualenv and engine linked in, its package first on PYTHONPATH for the CLI, the
program and the providers), then with this checkout's, each on its own fresh
customers and backend; then it prints per-customer wall and CPU seconds of both side
by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from cloudlink_provider.emulator.server import EmulatorServer  # noqa: E402
from cloudlink_provider.fleet.loop import default_parallel  # noqa: E402
from testkit.fleet_project import (CLOUDLINK, fleet_env, full_customers, lock_files, make_project,  # noqa: E402
                                     write_imported_stacks)
from testkit.processes import RUN_MARKER, marked, new_tag, run_processes  # noqa: E402

# operation -> (CLI arguments, the outcome every customer must have)
OPERATIONS = (("up", ["up"], "changed"), ("preview", ["preview"], "unchanged"),
              ("drift --engine", ["drift", "--engine"], "unchanged"))
SURVIVOR_DEADLINE_S = 15.0  # how long the run's processes may take to exit after the CLI did


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process: PSS shares each shared page among its users, so a sum over the tree
    counts the engine binaries and the Python libraries once rather than per process."""
    found = {"Rss:": 0, "Pss:": 0}
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            key, *rest = line.split()
            if key in found:
                found[key] = int(rest[0])
    except (OSError, ValueError, IndexError):
        pass
    return found["Rss:"], found["Pss:"]


class TreeSampler(threading.Thread):
    """Peak summed RSS and PSS, and process count, of the run's processes (marked by `tag`), from /proc."""

    def __init__(self, tag: str, interval: float):
        super().__init__(daemon=True)
        self.tag, self.interval = tag, interval
        self.stop = threading.Event()
        self.peak_rss_kb = self.peak_pss_kb = self.peak_processes = 0

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            pids = run_processes(self.tag)
            memory = [_memory_kb(pid) for pid in pids]
            self.peak_rss_kb = max(self.peak_rss_kb, sum(rss for rss, _ in memory))
            self.peak_pss_kb = max(self.peak_pss_kb, sum(pss for _, pss in memory))
            self.peak_processes = max(self.peak_processes, len(pids))


class EngineCounter(threading.Thread):
    """Every `pulumi` CLI process of the run (marked by `tag`), counted by its command (`up`, `stack`, ...),
    from /proc every few milliseconds: a process lives far longer than that, even `pulumi stack init`."""

    def __init__(self, tag: str, interval: float = 0.02):
        super().__init__(daemon=True)
        self.needle, self.interval = f"{RUN_MARKER}={tag}".encode(), interval
        self.stop = threading.Event()
        self.seen: dict[str, str | None] = {}  # "<pid>/<start time>" -> its command, None: not an engine of ours

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            for entry in os.scandir("/proc"):
                if not entry.name.isdigit():
                    continue
                try:
                    stat = Path(entry.path, "stat").read_text()
                    key = f"{entry.name}/{stat[stat.rindex(')') + 2:].split()[19]}"
                    if key in self.seen:
                        continue
                    argv = Path(entry.path, "cmdline").read_bytes().split(b"\0")
                    ours = (Path(argv[0].decode(errors="replace")).name == "pulumi"
                            and self.needle in Path(entry.path, "environ").read_bytes().split(b"\0"))
                    self.seen[key] = argv[1].decode() if ours and len(argv) > 1 else None
                except (OSError, ValueError, IndexError):
                    continue

    def counts(self) -> dict[str, int]:
        commands = [c for c in self.seen.values() if c is not None]
        return {c: commands.count(c) for c in sorted(set(commands))}


def journal(http: httpx.Client) -> dict[str, Any]:
    data = http.get("/_emulator/requests").json()
    return {"api_calls": data["count"], "by_service": data["byService"],
            "rate_limited": sum(1 for r in data["items"] if r["status"] == 429)}


def survivors(tag: str) -> dict[int, str]:
    """The run's processes still alive at the deadline (polled: they may be exiting right now)."""
    deadline = time.monotonic() + SURVIVOR_DEADLINE_S
    while (alive := run_processes(tag)) and time.monotonic() < deadline:
        time.sleep(0.2)
    return alive


def run_operation(label: str, args: list[str], expected: str, project: Path, parallel: int,
                  http: httpx.Client, workdir: Path, sample: float, code: Path | None = None) -> dict[str, Any]:
    """One CLI run; `code`: run that checkout's package instead of this one's (its path first on PYTHONPATH)."""
    tag = new_tag()
    slug = label.replace(" --", "-") + (f"-{code.name}" if code else "")
    env = fleet_env()
    command = [CLOUDLINK]
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(code), *filter(None, [env.get("PYTHONPATH")])])
        command = [sys.executable, "-m", "cloudlink_provider.cli"]
    report_file, log_file = workdir / f"{slug}.json", workdir / f"{slug}.log"
    http.delete("/_emulator/requests")
    sampler = TreeSampler(tag, sample)
    counter = EngineCounter(tag)
    counter.start()
    load_before = os.getloadavg()
    with log_file.open("w") as log:
        start = time.monotonic()
        proc = subprocess.Popen([*command, "fleet", *args, "--project-dir", str(project), "--parallel", str(parallel),
                                 "--json", str(report_file)], env=marked(env, tag), cwd=project,
                                stdout=log, stderr=subprocess.STDOUT)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    sampler.stop.set()
    sampler.join()
    counter.stop.set()
    counter.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    left = survivors(tag)
    report = json.loads(report_file.read_text()) if report_file.exists() else {"totals": {}, "stacks": []}
    stacks = report["stacks"]
    return {"operation": label, "exit": proc.returncode, "wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
            "peak_rss_mb": usage.ru_maxrss / 1024, "tree_rss_mb": sampler.peak_rss_kb / 1024,
            "tree_pss_mb": sampler.peak_pss_kb / 1024,
            "peak_processes": sampler.peak_processes, "engines": counter.counts(), **journal(http),
            "totals": {k: v for k, v in report["totals"].items() if v and k != "stacks"},
            "failed": [(s["stack"], s["error"]) for s in stacks if s["status"] == "failed"],
            "unexpected": [(s["stack"], s["status"]) for s in stacks if s["status"] != expected],
            "missing": len(stacks) == 0, "released_locks": report.get("releasedLocks") or [],
            "locks_left": [str(p.relative_to(project)) for p in lock_files(project)],
            "survivors": left, "load": (load_before, os.getloadavg()), "log": str(log_file)}


def print_row(r: dict[str, Any], n: int) -> None:
    services = ", ".join(f"{k} {v}" for k, v in sorted(r["by_service"].items()))
    print(f"| {r['operation']} | {n} | {r['exit']} | {r['wall_s']:.1f} | {r['wall_s'] / n:.2f} | {r['cpu_s']:.1f} | "
          f"{r['cpu_s'] / n:.2f} | {r['peak_rss_mb']:.0f} | {r['tree_pss_mb']:.0f} / {r['tree_rss_mb']:.0f} "
          f"({r['peak_processes']}) | "
          f"{r['api_calls']} | {r['rate_limited']} | {services} | {r['totals']} | "
          f"{len(r['locks_left'])} | {len(r['survivors'])} | {engines(r['engines'])} | "
          f"{r['load'][0][0]:.1f} -> {r['load'][1][0]:.1f} |", flush=True)


def problems(r: dict[str, Any]) -> list[str]:
    found = []
    if r["missing"]:
        found.append(f"no JSON report (see {r['log']})")
    found += [f"{stack} failed: {error}" for stack, error in r["failed"][:5]]
    if len(r["failed"]) > 5:
        found.append(f"... and {len(r['failed']) - 5} more failures")
    if r["unexpected"] and not r["failed"]:
        found.append(f"{len(r['unexpected'])} customers not as expected, e.g. {r['unexpected'][:3]}")
    found += [f"lock left: {lock}" for lock in r["locks_left"]]
    found += [f"stale lock released by the run: {lock}" for lock in r["released_locks"]]
    found += [f"process outlived the run: {pid} ({kind})" for pid, kind in r["survivors"].items()]
    return [f"{r['operation']}: {p}" for p in found]


def engines(counts: dict[str, int]) -> str:
    """`100 (stack 50, up 50)`: the run's `pulumi` processes, by command."""
    return f"{sum(counts.values())} (" + ", ".join(f"{c} {n}" for c, n in counts.items()) + ")"


COMPARED = (("up", ["up"], "changed"), ("preview", ["preview"], "unchanged"))


def checkout(ref: str, into: Path) -> Path:
    """A detached `git worktree` of `ref` at `into`, with this checkout's virtualenv and engine linked in."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(into), ref], check=True,
                   timeout=120)
    for name in (".venv", ".tools"):
        os.symlink(ROOT / name, into / name)
    subprocess.run([sys.executable, "-c", "import cloudlink_provider, sys; "
                    f"sys.exit(not cloudlink_provider.__file__.startswith({str(into)!r}))"],
                   env={**os.environ, "PYTHONPATH": str(into)}, cwd=into, check=True, timeout=60)  # REF's code runs
    return into


def compare(ref: str, n: int, parallel: int, http: httpx.Client, url: str, workdir: Path, sample: float) \
        -> list[str]:
    """`fleet up` then `fleet preview` with REF's code, then with this checkout's; a side-by-side table."""
    results: dict[str, dict[str, dict[str, Any]]] = {}
    found: list[str] = []
    before_code = workdir / "before-code"
    try:
        checkout(ref, before_code)
        for side, code in (("before", before_code), ("after", None)):
            project = make_project(workdir / f"fleet-{side}", url)
            write_imported_stacks(project, full_customers(n, side.capitalize()), url)
            for label, cli_args, expected in COMPARED:
                row = run_operation(label, cli_args, expected, project, parallel, http, workdir, sample, code)
                print(f"{side} ({ref if code else 'this checkout'}):", end=" ")
                print_row(row, n)
                results.setdefault(label, {})[side] = row
                found += [f"{side}: {p}" for p in problems(row)]
                if row["failed"] or row["missing"]:
                    break
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before_code)], timeout=120)
    print(f"\n{n} full customers, --parallel {parallel}: before = {ref}, after = this checkout\n")
    print("| operation | wall s/customer before | after | CPU s/customer before | after | `pulumi` processes "
          "before | after | API calls before | after |")
    print("|---|--:|--:|--:|--:|---|---|--:|--:|")
    for label, sides in results.items():
        b, a = sides.get("before"), sides.get("after")
        if not (b and a):
            continue
        print(f"| fleet {label} | {b['wall_s'] / n:.2f} | {a['wall_s'] / n:.2f} | {b['cpu_s'] / n:.2f} | "
              f"{a['cpu_s'] / n:.2f} | {engines(b['engines'])} | {engines(a['engines'])} | {b['api_calls']} | "
              f"{a['api_calls']} |", flush=True)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=200, help="full customers (default 200)")
    parser.add_argument("--parallel", type=int, default=default_parallel(),
                        help=f"stacks at once (default: the fleet's, {default_parallel()} here)")
    parser.add_argument("--rate-limit", type=float, default=None, metavar="PER_S",
                        help="the emulator's API rate limit per partner (default: its own, 200 requests/s; "
                             "burst twice this)")
    parser.add_argument("--sample", type=float, default=0.5, help="seconds between /proc samples of the tree RSS")
    parser.add_argument("--keep", type=Path, default=None, help="work in this directory and keep it (logs, reports)")
    parser.add_argument("--compare-ref", default=None, metavar="REF",
                        help="run `fleet up` and `fleet preview` with REF's code and with this checkout's, "
                             "and print both side by side")
    args = parser.parse_args()
    n = args.customers
    limit = "default" if args.rate_limit is None else f"{args.rate_limit:g}/s"
    print(f"bench_scale: {n} full customers, --parallel {args.parallel}, API rate limit {limit}, "
          f"{os.cpu_count()} CPUs; "
          f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}", flush=True)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="cloudlink-scale-") as tmp:
        workdir = Path(tmp)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            workdir = args.keep
        with EmulatorServer(str(workdir / "emulator.db")) as emulator, \
                httpx.Client(base_url=emulator.url, timeout=120) as http:
            if args.rate_limit is not None:  # the default leaves the emulator's own settings untouched
                http.put("/_emulator/settings", json={"rate_limit_per_s": args.rate_limit,
                                                      "rate_burst": max(1, int(2 * args.rate_limit))}).raise_for_status()
            if args.compare_ref:
                found = compare(args.compare_ref, n, args.parallel, http, emulator.url, workdir, args.sample)
            else:
                found = measure(n, args, http, emulator.url, workdir, rows)
    print(f"uptime: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")
    for p in found:
        print(f"PROBLEM {p}")
    if not found:
        print(f"OK: {n} customers, every operation complete; no lock left, no 429 surfaced as a failure, "
              f"no process outlived a run")
    raise SystemExit(1 if found else 0)


def measure(n: int, args: argparse.Namespace, http: httpx.Client, url: str, workdir: Path,
            rows: list[dict[str, Any]]) -> list[str]:
    found: list[str] = []
    project = make_project(workdir / "fleet", url)
    write_imported_stacks(project, full_customers(n, "Scale"), url)
    print("| operation | customers | exit | wall s | wall s/customer | CPU s | CPU s/customer | "
          "peak RSS MB (largest process) | tree peak MB PSS / RSS (processes) | API calls | 429s | by service | "
          "outcome | locks left | processes left | `pulumi` processes | load avg 1 min (before -> after) |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|--:|--:|---|---|", flush=True)
    for label, cli_args, expected in OPERATIONS:
        row = run_operation(label, cli_args, expected, project, args.parallel, http, workdir, args.sample)
        rows.append(row)
        print_row(row, n)
        found += problems(row)
        if row["failed"] or row["missing"]:
            break  # the next operation would measure a broken fleet
    return found


if __name__ == "__main__":
    main()
