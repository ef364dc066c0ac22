#!/usr/bin/env python
"""Benchmark `cloudlink fleet drift`: the scan at 50, 200 and 1,000 full customers, `--engine` at 50;
and `cloudlink fleet standards` (every built-in standard on, plus partner rules and exceptions) on the
same customers, right after each scan.

Not a test: it measures and prints. Full customers are all six resources over the
four PBX types (testkit/fleet_project.py `full_customer`), their stack files
written exactly as `cloudlink fleet import` writes them (the fleet's shared
encryption salt, the client secret and the write-only secrets as `secure:`
values). Each size gets a fresh emulator (same machine, default rate limit:
200 requests/s per partner) and a scratch project.

How the state comes to be: the first 8 customers (two of each kind) are deployed
by the real engine (`cloudlink fleet up`), as are all 50 of the engine comparison.
For 200 and 1,000, deploying through the engine would take longer than the run
(about 4 s a full customer); so each customer is created in CloudLink by the
providers' own `create()` (the calls `up` makes), and its checkpoint is the real
engine-written checkpoint of a customer of the same kind with this customer's
inputs, outputs and ids put in (secrets encrypted as the engine does). The scan
cannot tell them apart; the first drift of each size must come out clean, and
the benchmark says so.

Printed per run, measured in a wrapper process so the numbers are the run's own:
wall time, CPU seconds (user+system of the CLI and everything it started), peak
RSS of the largest process, API calls by service (the emulator's journal) and
how many were answered 429.

    .venv/bin/python tools/bench_fleet.py                       # 50, 200, 1000 + --engine at 50
    .venv/bin/python tools/bench_fleet.py --sizes 50 --engine-size 0
    .venv/bin/python tools/bench_fleet.py --sizes 1000 --engine-size 0 --standards-only
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from cloudlink_provider.client import ClientConfig  # noqa: E402
from cloudlink_provider.customer.model import parse_customer  # noqa: E402
from cloudlink_provider.emulator.server import EmulatorServer  # noqa: E402
from cloudlink_provider.emulator.store import DEMO_PARTNER  # noqa: E402
from cloudlink_provider.pulumi_facts import SECRET_MARK  # noqa: E402
from cloudlink_provider.fleet.scan.desired import Join, Ref, Secret, desired  # noqa: E402
from cloudlink_provider.fleet.engine.env import DEMO_PASSPHRASE  # noqa: E402
from cloudlink_provider.fleet.state.secrets import Passphrase  # noqa: E402
from testkit.fleet_project import (CLOUDLINK, PBX_PASSWORD, TEAMS_SECRET, fleet_env, full_customers,  # noqa: E402
                                     make_project, write_imported_stacks)

PROJECT = "cloudlink-fleet"
TEMPLATES = 8  # customers deployed by the engine per scan size: two of each kind, the checkpoint templates

WRAPPER = r"""
import json, resource, subprocess, sys, time
t = time.monotonic()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
wall = time.monotonic() - t
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"exit": proc.returncode, "wall_s": wall, "peak_rss_mb": r.ru_maxrss / 1024,
                  "cpu_s": r.ru_utime + r.ru_stime}))
"""


# Every built-in on, two partner rules (one over labels-free spec paths, one over a live fact) and two exceptions.
STANDARDS = """
standards:
  sso-and-sync: {mode: alert}
  teams-only-for-presence: {mode: report}
  micollab-call-history: {mode: report}
  pbx-user-capacity: {mode: alert, percent: 80}
  role-holders: {mode: alert, warnAt: 900}
  sso-certificate-expiry: {mode: alert, warnDays: 30}
  pending-activation: {mode: report}
rules:
  - {id: gateway-names, title: Gateway names follow Site N, mode: report, require: {gateway.name: {matches: "Site [0-9]+"}}}
  - {id: no-pending, title: Nobody pending activation, mode: report, require: {live.pendingUsers: {atMost: 0}}}
exceptions:
  - {standard: teams-only-for-presence, select: "!presence", reason: benchmark, expires: 2099-12-31}
  - {standard: micollab-call-history, customer: bench-0002, reason: benchmark, expires: 2099-12-31}
"""


def measure(cmd: list[str]) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-c", WRAPPER, *cmd], capture_output=True, text=True, env=fleet_env())
    return json.loads(out.stdout)


def cli(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([CLOUDLINK, "fleet", *args, "--project-dir", str(project)], env=fleet_env(),
                          capture_output=True, text=True, timeout=7200)


def _kind(spec: dict[str, Any]) -> str:
    return spec["pbx"]["type"]


def clone_state(project: Path, templates: dict[str, str], customers: dict[str, dict[str, Any]],
                endpoint: str) -> None:
    """Create `customers` in CloudLink with the providers' own create(), and write each one's checkpoint
    from the engine-written checkpoint of a deployed customer of the same kind."""
    crypt = Passphrase(DEMO_PASSPHRASE)
    stacks_dir = project / ".state" / ".pulumi" / "stacks" / PROJECT
    config = ClientConfig(endpoint, DEMO_PARTNER["client_id"], DEMO_PARTNER["client_secret"])
    loaded = {kind: json.loads((stacks_dir / f"{name}.json").read_text()) for kind, name in templates.items()}

    def one(item: tuple[str, dict[str, Any]]) -> None:
        name, raw = item
        template = copy.deepcopy(loaded[_kind(raw)])
        old = template["checkpoint"]["stack"].rsplit("/", 1)[-1]
        deployment = template["checkpoint"]["latest"]
        salt = deployment["secrets_providers"]["state"]["salt"]
        plan = desired(parse_customer(raw), {"pbxPassword": PBX_PASSWORD, "teamsClientSecret": TEAMS_SECRET}, name)
        made: dict[str, tuple[str, dict[str, Any]]] = {}
        by_name = {r["urn"].rsplit("::", 1)[-1]: r for r in deployment["resources"]}

        def sealed(value: Any) -> dict[str, Any]:
            return {**SECRET_MARK, "ciphertext": crypt.encrypt(salt, json.dumps(value))}

        def resolve(value: Any) -> Any:
            if isinstance(value, Join):
                return "".join(str(resolve(part)) for part in value.parts)
            if isinstance(value, Ref):
                id_, outs = made[value.resource]
                return id_ if value.output == "id" else outs[value.output]
            return value

        for rname, p in plan.items():
            inputs, secret = {}, set(p.secret_outputs)
            for key, value in p.inputs.items():
                if isinstance(value, Secret):
                    value = value.value
                inputs[key] = resolve(value)
            provider = p.provider()
            provider.use_credentials(config)
            result = provider.create(inputs)
            made[rname] = (result.id, result.outs)
            res = by_name[rname]
            provider_blob = res["inputs"]["__provider"]
            res["id"] = result.id
            res["inputs"] = {**{k: (sealed(v) if k in secret else v) for k, v in inputs.items()},
                             "__provider": provider_blob}
            res["outputs"] = {**{k: (sealed(v) if k in secret and v is not None else v)
                                 for k, v in result.outs.items()}, "__provider": provider_blob}
        for res in deployment["resources"]:  # the default provider's inputs are the stack's config
            if res["type"].startswith("pulumi:providers:"):
                for props in (res["inputs"], res["outputs"]):
                    props["cloudlink-fleet:customer"] = json.dumps(raw, separators=(",", ":"), sort_keys=True)
        text = json.dumps(template).replace(f"urn:pulumi:{old}::", f"urn:pulumi:{name}::") \
            .replace(f"{PROJECT}-{old}", f"{PROJECT}-{name}").replace(f"/{old}\"", f"/{name}\"")
        (stacks_dir / f"{name}.json").write_text(text)

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(one, customers.items()))


def journal(http: httpx.Client) -> dict[str, Any]:
    data = http.get("/_emulator/requests").json()
    return {"api_calls": data["count"], "by_service": data["byService"],
            "rate_limited": sum(1 for r in data["items"] if r["status"] == 429)}


def bench(size: int, engine: bool, workdir: Path, standards: bool = True,
          drift: bool = True) -> list[dict[str, Any]]:
    with EmulatorServer(str(workdir / f"emulator-{size}-{engine}.db")) as emulator, \
            httpx.Client(base_url=emulator.url, timeout=60) as http:
        customers = full_customers(size, "Bench")
        project = make_project(workdir / f"fleet-{size}-{engine}", emulator.url)
        deployed = dict(list(customers.items())[: size if engine else TEMPLATES])
        write_imported_stacks(project, deployed, emulator.url)
        t = time.monotonic()
        up = cli(project, "up", "--parallel", "4")
        if up.returncode != 0:
            raise SystemExit(f"fleet up failed:\n{up.stdout[-3000:]}\n{up.stderr[-3000:]}")
        setup = f"engine up {len(deployed)} in {time.monotonic() - t:.0f}s"
        rest = {k: v for k, v in customers.items() if k not in deployed}
        if rest:
            t = time.monotonic()
            templates = {}
            for name, spec in deployed.items():
                templates.setdefault(_kind(spec), name)
            write_imported_stacks(project, rest, emulator.url)
            clone_state(project, templates, rest, emulator.url)
            setup += f" + create/clone {len(rest)} in {time.monotonic() - t:.0f}s"
        rows = []
        if drift or engine:
            http.delete("/_emulator/requests")
            out = workdir / f"drift-{size}-{engine}.json"
            args = [CLOUDLINK, "fleet", "drift", "--project-dir", str(project), "--json", str(out)]
            result = measure(args + (["--engine"] if engine else []))
            report = json.loads(out.read_text())
            rows.append({"mode": "--engine" if engine else "scan", "customers": size, **result, **journal(http),
                         "statuses": {k: v for k, v in report["totals"].items() if v and k != "stacks"},
                         "unmanaged": len(report.get("unmanaged") or []), "setup": setup})
        if standards and not engine:
            (project / "stacks" / "standards.yaml").write_text(STANDARDS)
            http.delete("/_emulator/requests")
            out = workdir / f"standards-{size}.json"
            result = measure([CLOUDLINK, "fleet", "standards", "--project-dir", str(project), "--json", str(out)])
            report = json.loads(out.read_text())
            failed = sum(1 for c in report["customers"] if c["error"])
            violations = sum(c["violations"] for c in report["customers"])
            rows.append({"mode": "standards", "customers": size, **result, **journal(http),
                         "statuses": {"failed": failed, "violations": violations,
                                      **{s["id"]: f"{s['follow']}/{s['of']}" for s in report["standards"]}},
                         "unmanaged": 0, "setup": setup})
        return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 200, 1000], help="scan sizes")
    parser.add_argument("--engine-size", type=int, default=50, help="customers for --engine (0: skip)")
    parser.add_argument("--keep", type=Path, default=None, help="work in this directory and keep it")
    parser.add_argument("--standards-only", action="store_true",
                        help="measure only `fleet standards` at the scan sizes (no drift run)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cloudlink-bench-") as tmp:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=True)
            tmp = str(args.keep)
        runs = [(n, False) for n in args.sizes] + ([(args.engine_size, True)] if args.engine_size else [])
        for size, engine in runs:
            for row in bench(size, engine, Path(tmp), drift=not args.standards_only):
                print(f"{row['mode']} N={size}: {row['setup']}; {row['wall_s']:.1f}s", file=sys.stderr)
                rows.append(row)
    print(f"| mode | customers | exit | wall s | s/customer | CPU s | peak RSS MB | API calls | 429s | "
          f"by service | outcome |")
    print("|---|--:|--:|--:|--:|--:|--:|--:|--:|---|---|")
    for r in rows:
        services = ", ".join(f"{k} {v}" for k, v in sorted(r["by_service"].items()))
        print(f"| {r['mode']} | {r['customers']} | {r['exit']} | {r['wall_s']:.1f} | "
              f"{r['wall_s'] / r['customers']:.3f} | {r['cpu_s']:.1f} | {r['peak_rss_mb']:.0f} | {r['api_calls']} | "
              f"{r['rate_limited']} | {services} | {r['statuses']} |")
    scans = [r for r in rows if r["mode"] == "scan"]
    engines = [r for r in rows if r["mode"] == "--engine"]
    if scans and engines:
        per_engine = engines[0]["wall_s"] / engines[0]["customers"]
        for r in scans:
            print(f"scan at {r['customers']}: {per_engine / (r['wall_s'] / r['customers']):.0f}x faster per customer "
                  f"than --engine at {engines[0]['customers']}")


if __name__ == "__main__":
    main()
