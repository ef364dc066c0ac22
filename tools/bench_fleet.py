#!/usr/bin/env python
"""Benchmark the fleet: N generated account-only customers, `cloudlink fleet up` then `cloudlink fleet drift`.

Not a test: it measures. For each size it starts an emulator (fresh database,
free port), generates a scratch project with N customers (tests/e2e/fleet_project.py),
and runs the real CLI twice, each run inside a small wrapper process so that
its resource usage is its own. Printed per run: wall time, peak memory (the
largest single process among the CLI, the engines and the Pulumi programs:
`getrusage(RUSAGE_CHILDREN).ru_maxrss` in the wrapper; and the whole process
tree's peak, sampled from /proc), CPU seconds of all of them, and the API
calls the emulator saw (its journal's `byService`, and how many were answered
429).

    .venv/bin/python tools/bench_fleet.py              # N = 10 and 50, default --parallel
    .venv/bin/python tools/bench_fleet.py --sizes 10 --parallel 2
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from cloudlink_provider.emulator.server import EmulatorServer  # noqa: E402
from tests.e2e.fleet_project import CLOUDLINK, fleet_env, generated, make_project  # noqa: E402


WRAPPER = r"""
import json, os, resource, subprocess, sys, time

def tree_rss_kb(root):
    # Resident memory of `root` and all its descendants, from /proc (Linux).
    parents, rss = {}, {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as f:
                parents[int(pid)] = int(f.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{pid}/status") as f:
                rss[int(pid)] = next((int(l.split()[1]) for l in f if l.startswith("VmRSS:")), 0)
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root}, [root]
    while frontier:
        children = [p for p, pp in parents.items() if pp in frontier and p not in tree]
        tree.update(children)
        frontier = children
    return sum(rss.get(p, 0) for p in tree)

t = time.monotonic()
proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
peak_tree = 0
while proc.poll() is None:
    peak_tree = max(peak_tree, tree_rss_kb(proc.pid))
    time.sleep(0.2)  # a sampling interval, not synchronisation
wall = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"exit": proc.returncode, "wall_s": wall, "peak_rss_mb": r.ru_maxrss / 1024,
                  "peak_tree_mb": peak_tree / 1024, "cpu_s": r.ru_utime + r.ru_stime}))
"""


def measure(cmd: list[str]) -> dict:
    """Run `cmd` in a wrapper process; its exit code, wall time, peak memory and CPU time.

    `peak_rss_mb`: the largest single process (getrusage RUSAGE_CHILDREN ru_maxrss);
    `peak_tree_mb`: the most the whole process tree held at once (sampled from /proc).
    """
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, env=fleet_env())
    return json.loads(out.stdout)


def bench(size: int, parallel: int | None, workdir: Path) -> list[dict]:
    rows = []
    with EmulatorServer(str(workdir / f"emulator-{size}.db")) as emulator, \
            httpx.Client(base_url=emulator.url, timeout=30) as http:
        project = make_project(workdir / f"fleet-{size}", emulator.url, generated(size, "Bench"))
        extra = ["--parallel", str(parallel)] if parallel else []
        for operation in ("up", "drift"):
            http.delete("/_emulator/requests")
            result = measure([CLOUDLINK, "fleet", operation, "--project-dir", str(project), *extra,
                              "--json", str(workdir / f"{operation}-{size}.json")])
            journal = http.get("/_emulator/requests").json()
            report = json.loads((workdir / f"{operation}-{size}.json").read_text())
            rows.append({"customers": size, "operation": operation, **result,
                         "api_calls": journal["count"], "by_service": journal["byService"],
                         "rate_limited": sum(1 for r in journal["items"] if r["status"] == 429),
                         "statuses": {k: v for k, v in report["totals"].items() if v and k != "stacks"}})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 50])
    parser.add_argument("--parallel", type=int, default=None, help="passed to cloudlink fleet (default: its own)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cloudlink-bench-") as tmp:
        for size in args.sizes:
            start = time.monotonic()
            rows += bench(size, args.parallel, Path(tmp))
            print(f"N={size} done in {time.monotonic() - start:.0f}s", file=sys.stderr)
    print(f"{'N':>4} {'operation':<9} {'exit':>4} {'wall s':>7} {'s/cust':>6} {'proc MB':>8} {'tree MB':>8} "
          f"{'cpu s':>7} {'API calls':>9} {'429s':>5}  by service / outcome")
    for r in rows:
        print(f"{r['customers']:>4} {r['operation']:<9} {r['exit']:>4} {r['wall_s']:>7.1f} "
              f"{r['wall_s'] / r['customers']:>6.2f} {r['peak_rss_mb']:>8.0f} {r['peak_tree_mb']:>8.0f} "
              f"{r['cpu_s']:>7.1f} "
              f"{r['api_calls']:>9} {r['rate_limited']:>5}  {r['by_service']} {r['statuses']}")


if __name__ == "__main__":
    main()
