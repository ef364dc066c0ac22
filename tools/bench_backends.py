#!/usr/bin/env python
"""Benchmark the scan (`cloudlink fleet drift`) on an object-store backend beside `file://`, in one run.

Not a test: it measures and prints. One fleet of full customers (default 1,000), seeded as
tools/bench_fleet.py seeds it (8 deployed by the engine as templates, the rest created in the
emulator by the providers' own `create()` with engine-shaped checkpoints), on `file://`. Its
whole `.pulumi` tree is then copied, key for key, into a bucket of the S3-compatible server the
suite uses (moto's server mode on loopback, testkit/servers.py), under a path prefix. The same
scan then runs from `file://` and from `s3://` (checkpoints read natively: one listing, bounded
concurrent reads), alternating, `--rounds` times each, the emulator's journal cleared before each. Both must come out
clean (exit 0); the table says which reader ran.

    .venv/bin/python tools/bench_backends.py                 # 1,000 customers
    .venv/bin/python tools/bench_backends.py --size 50
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tools")]

import httpx  # noqa: E402

from bench_fleet import TEMPLATES, WRAPPER, _kind, clone_state, journal  # noqa: E402
from cloudlink_provider.emulator.server import EmulatorServer  # noqa: E402
from testkit.fleet_project import CLOUDLINK, fleet_env, full_customers, make_project, write_imported_stacks  # noqa: E402
from testkit.servers import S3Server  # noqa: E402


def measure(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, env=env)
    return json.loads(out.stdout)


def seed(size: int, workdir: Path, endpoint: str) -> Path:
    """A project with `size` full customers deployed (8 by the engine, the rest cloned) on file://."""
    customers = full_customers(size, "Bench")
    project = make_project(workdir / "fleet", endpoint)
    deployed = dict(list(customers.items())[:TEMPLATES])
    write_imported_stacks(project, deployed, endpoint)
    up = subprocess.run([CLOUDLINK, "fleet", "up", "--parallel", "4", "--project-dir", str(project)],
                        env=fleet_env(), capture_output=True, text=True, timeout=3600)
    if up.returncode != 0:
        raise SystemExit(f"fleet up failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
    rest = {k: v for k, v in customers.items() if k not in deployed}
    if rest:
        templates: dict[str, str] = {}
        for name, spec in deployed.items():
            templates.setdefault(_kind(spec), name)
        write_imported_stacks(project, rest, endpoint)
        clone_state(project, templates, rest, endpoint)
    return project


def upload(state: Path, server: S3Server, prefix: str) -> int:
    """Every blob of the file:// backend (not gocloud's `.attrs` sidecars) into the bucket under `prefix`."""
    from testkit.servers import BUCKET

    client = server.client()
    files = [p for p in state.rglob("*") if p.is_file() and not p.name.endswith(".attrs")]

    def put(path: Path) -> None:
        client.put_object(Bucket=BUCKET, Key=f"{prefix}/{path.relative_to(state).as_posix()}", Body=path.read_bytes())

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(put, files))
    return len(files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000, help="full customers")
    parser.add_argument("--rounds", type=int, default=2, help="scans per backend, alternating")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cloudlink-bench-backends-") as tmp:
        work = Path(tmp)
        with EmulatorServer(str(work / "emulator.db")) as emulator, \
                httpx.Client(base_url=emulator.url, timeout=60) as http, S3Server(work / "s3") as s3:
            t = time.monotonic()
            project = seed(args.size, work, emulator.url)
            print(f"seeded {args.size} customers in {time.monotonic() - t:.0f}s", file=sys.stderr)
            t = time.monotonic()
            blobs = upload(project / ".state", s3, "bench")
            print(f"copied {blobs} blobs to the S3 server in {time.monotonic() - t:.0f}s", file=sys.stderr)
            backends = (("file://", (project / ".state").as_uri(), {}),
                        ("s3:// (moto server)", s3.backend_url("bench"), s3.env))
            for label, url, extra in backends * args.rounds:  # alternating: a busy machine's load hits both
                http.delete("/_emulator/requests")
                out = work / f"drift-{len(rows)}.json"
                env = fleet_env(extra)
                result = measure([CLOUDLINK, "fleet", "drift", "--project-dir", str(project), "--backend", url,
                                  "--json", str(out)], env)
                report = json.loads(out.read_text())
                rows.append({"backend": label, "customers": args.size, **result, **journal(http),
                             "reader": report.get("checkpointReader"),
                             "statuses": {k: v for k, v in report["totals"].items() if v and k != "stacks"}})
                print(f"{label}: {result['wall_s']:.1f}s exit {result['exit']}", file=sys.stderr)
    print("| backend | customers | checkpoints read by | exit | wall s | s/customer | CPU s | peak RSS MB | "
          "API calls | 429s | outcome |")
    print("|---|--:|---|--:|--:|--:|--:|--:|--:|--:|---|")
    for r in rows:
        print(f"| {r['backend']} | {r['customers']:,} | {r['reader']} | {r['exit']} | {r['wall_s']:.1f} | "
              f"{r['wall_s'] / r['customers']:.3f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['api_calls']:,} | "
              f"{r['rate_limited']} | {r['statuses']} |")


if __name__ == "__main__":
    main()
