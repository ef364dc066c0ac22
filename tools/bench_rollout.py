#!/usr/bin/env python
"""Benchmark a fleet-wide change: the scan preview at 1,000 full customers against `--engine` at 50,
and `fleet up` of 1,000 where 10 changed (the engine only for those 10).

Not a test: it measures and prints (issue 21's targets: preview of 1,000 <= 20 s,
up of 1,000 with 10 changed <= 90 s). One emulator at its default rate limit, one
scratch project of full customers (every resource kind, the four PBX types) written as
`cloudlink fleet import` writes them; the state comes to be as in tools/bench_fleet.py
(eight customers deployed by the engine, the others created by the providers' own
`create()` with a checkpoint cloned from an engine-written one), and a first drift
scan must come out clean.

Then, side by side in one run:
1. a change reaching every customer (each stack's gateway gets a new name);
   `fleet preview` (the scan) over all of them, and `fleet preview --engine --shard 1/K`
   over 50 of them; every customer must come out `changed`, with the same plan;
2. the change reverted for all but 10; `fleet up` over all: 10 applied by the engine,
   the others skipped as unchanged.
Per run: wall time, CPU seconds of the whole process tree, peak memory of the process
tree (summed RSS and PSS of the CLI and every process it started, sampled from /proc),
API calls and 429s (the emulator's journal).

    .venv/bin/python tools/bench_rollout.py                 # 1,000 customers, --engine at 50, 10 changed
    .venv/bin/python tools/bench_rollout.py --customers 200 --engine-size 20
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import httpx  # noqa: E402

from bench_fleet import TEMPLATES, _kind, clone_state  # noqa: E402
from bench_scale import TreeSampler  # noqa: E402
from cloudlink_provider.emulator.server import EmulatorServer  # noqa: E402
from cloudlink_provider.fleet.stacks import StackFile  # noqa: E402
from testkit.fleet_project import (CLOUDLINK, fleet_env, full_customers, make_project,  # noqa: E402
                                     write_imported_stacks)
from testkit.processes import marked, new_tag  # noqa: E402


def journal(http: httpx.Client) -> dict[str, Any]:
    data = http.get("/_emulator/requests").json()
    return {"api_calls": data["count"], "rate_limited": sum(1 for r in data["items"] if r["status"] == 429)}


def run(label: str, args: list[str], project: Path, http: httpx.Client, workdir: Path) -> dict[str, Any]:
    """One CLI run, measured: wall, CPU of the tree, peak tree memory, API calls; its JSON report."""
    tag = new_tag()
    report_file = workdir / f"{label.replace(' ', '_')}.json"
    http.delete("/_emulator/requests")
    sampler = TreeSampler(tag, 0.2)
    with (workdir / f"{label.replace(' ', '_')}.log").open("w") as log:
        start = time.monotonic()
        proc = subprocess.Popen([CLOUDLINK, "fleet", *args, "--project-dir", str(project), "--json", str(report_file)],
                                env=marked(fleet_env(), tag), stdout=log, stderr=subprocess.STDOUT)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.monotonic() - start
    sampler.stop.set()
    sampler.join()
    report = json.loads(report_file.read_text()) if report_file.exists() else {"totals": {}, "stacks": []}
    return {"run": label, "exit": os.waitstatus_to_exitcode(status), "wall_s": wall,
            "cpu_s": usage.ru_utime + usage.ru_stime, "tree_rss_mb": sampler.peak_rss_kb / 1024,
            "tree_pss_mb": sampler.peak_pss_kb / 1024, "processes": sampler.peak_processes, **journal(http),
            "customers": len(report["stacks"]), "report": report}


def rename_gateways(project: Path, names: list[str], suffix: str | None) -> None:
    """The fleet-wide change: every named customer's gateway gets a new name (None: the original back)."""
    for name in names:
        file = StackFile(project / "stacks", name)
        spec = file.spec()
        base = spec["gateway"]["name"].split(" / ")[0]
        spec["gateway"]["name"] = base if suffix is None else f"{base} / {suffix}"
        file.set_spec(spec)


def plan_of(report: dict[str, Any]) -> dict[str, Any]:
    return {s["stack"]: sorted((r["name"], r["op"], tuple(f["field"] for f in r["fields"])) for r in s["resources"])
            for s in report["stacks"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--engine-size", type=int, default=50, help="customers for preview --engine")
    parser.add_argument("--changed", type=int, default=10, help="customers still changed for `up`")
    parser.add_argument("--keep", type=Path, default=None, help="work in this directory and keep it")
    args = parser.parse_args()
    if args.customers % args.engine_size:
        raise SystemExit("--customers must be a multiple of --engine-size (the engine takes one --shard)")
    with tempfile.TemporaryDirectory(prefix="cloudlink-rollout-bench-") as tmp:
        workdir = Path(tmp)
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            workdir = args.keep
        with EmulatorServer(str(workdir / "emulator.db")) as emulator, \
                httpx.Client(base_url=emulator.url, timeout=60) as http:
            http.put("/_emulator/settings", json={"pbx_connect_s": 0})
            customers = full_customers(args.customers, "Bench")
            names = sorted(customers)
            project = make_project(workdir / "fleet", emulator.url)
            deployed = dict(list(customers.items())[:TEMPLATES])
            write_imported_stacks(project, deployed, emulator.url)
            t = time.monotonic()
            up = subprocess.run([CLOUDLINK, "fleet", "up", "--parallel", "4", "--project-dir", str(project)],
                                env=fleet_env(), capture_output=True, text=True, timeout=3600)
            if up.returncode != 0:
                raise SystemExit(f"fleet up failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
            rest = {k: v for k, v in customers.items() if k not in deployed}
            templates: dict[str, str] = {}
            for name, spec in deployed.items():
                templates.setdefault(_kind(spec), name)
            write_imported_stacks(project, rest, emulator.url)
            clone_state(project, templates, rest, emulator.url)
            print(f"setup: {args.customers} full customers in {time.monotonic() - t:.0f}s", file=sys.stderr)
            clean = run("drift scan", ["drift"], project, http, workdir)
            if clean["exit"] != 0:
                raise SystemExit(f"the fresh fleet is not clean (drift exit {clean['exit']})")

            rename_gateways(project, names, "moved")
            shards = args.customers // args.engine_size
            rows = [run("preview scan", ["preview"], project, http, workdir),
                    run("preview --engine", ["preview", "--engine", "--shard", f"1/{shards}"], project, http, workdir)]
            scan_plan, engine_plan = plan_of(rows[0]["report"]), plan_of(rows[1]["report"])
            same = all(scan_plan[s] == p for s, p in engine_plan.items())
            changed = names[:: max(1, args.customers // args.changed)][:args.changed]
            rename_gateways(project, [n for n in names if n not in changed], None)
            rows.append(run("up (10 changed)" if args.changed == 10 else f"up ({args.changed} changed)", ["up"],
                            project, http, workdir))
    print("| run | customers | exit | wall s | s/customer | CPU s | peak tree RSS MB | peak tree PSS MB | "
          "processes | API calls | 429s | outcome |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|")
    for r in rows:
        totals = {k: v for k, v in r["report"]["totals"].items() if v and k != "stacks"}
        extra = (f", skipped unchanged {r['report'].get('skippedUnchanged')}, engine runs {r['report'].get('engineRuns')}"
                 if r["run"].startswith("up") else "")
        print(f"| {r['run']} | {r['customers']} | {r['exit']} | {r['wall_s']:.1f} | {r['wall_s'] / max(1, r['customers']):.3f} "
              f"| {r['cpu_s']:.1f} | {r['tree_rss_mb']:.0f} | {r['tree_pss_mb']:.0f} | {r['processes']} | "
              f"{r['api_calls']} | {r['rate_limited']} | {totals}{extra} |")
    scan, engine, up = rows
    ratio = (engine["wall_s"] / engine["customers"]) / (scan["wall_s"] / scan["customers"])
    print(f"\nscan preview per customer: {ratio:.0f}x faster than --engine at {engine['customers']}; "
          f"the {engine['customers']} customers both previewed have {'the same' if same else 'DIFFERENT'} plans")
    print(f"targets: preview of {scan['customers']} {scan['wall_s']:.1f}s (<= 20 s: "
          f"{'met' if scan['wall_s'] <= 20 else 'NOT met'}); up with {args.changed} changed {up['wall_s']:.1f}s "
          f"(<= 90 s: {'met' if up['wall_s'] <= 90 else 'NOT met'})")


if __name__ == "__main__":
    main()
