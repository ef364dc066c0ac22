"""A scratch fleet project for the fleet tests and the benchmark: generated customers, the real CLI.

A copy of Pulumi.yaml and the entry point (with the repository's virtualenv
linked in), one `stacks/Pulumi.<name>.yaml` per customer pointed at a given
emulator, and its own `file://` state folder. Generated customers are
account-only full stack files that reuse the samples' fleet file's encryption
salt and encrypted client secret (same demo passphrase), so no engine call is
needed to make them. It starts nothing itself.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

from cloudlink_provider.fleet.engine.env import DEMO_PASSPHRASE, PROJECT_ROOT
from cloudlink_provider.fleet.stacks import CUSTOMER_KEY, StackFile
from cloudlink_provider.fleetfile import PROFILES_KEY

from .samples import copy_fleet_file, fleet_client_secret, sample_spec_raw

CLOUDLINK = str(PROJECT_ROOT / ".venv" / "bin" / "cloudlink")
SAMPLE = StackFile(PROJECT_ROOT / "stacks", "acme-iberia")
LANGUAGES = ("en-GB", "de-DE", "es-ES", "fr-FR", "en-US")


def customer(i: int, prefix: str = "Customer") -> dict[str, Any]:
    return {"account": {"name": f"{prefix} {i:03d}", "domain": f"{prefix.lower()}{i:03d}.example",
                        "languageCode": LANGUAGES[i % len(LANGUAGES)]}}


def make_project(root: Path, endpoint: str, customers: dict[str, dict[str, Any]] | None = None,
                 samples: bool = False) -> Path:
    """A project in `root` with the given customers (stack name -> spec) and/or the four samples.

    The samples keep their committed salt and secrets but only their account
    block, so tests do not depend on which other resources the program declares.
    """
    (root / "stacks").mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "__main__.py"):
        shutil.copy(PROJECT_ROOT / name, root / name)
    if not (root / ".venv").exists():
        os.symlink(PROJECT_ROOT / ".venv", root / ".venv")
    if samples:
        for path in (PROJECT_ROOT / "stacks").glob("Pulumi.*.yaml"):
            name = path.name[len("Pulumi."):-len(".yaml")]
            data = StackFile(PROJECT_ROOT / "stacks", name).load()
            data["config"][CUSTOMER_KEY] = {"account": data["config"][CUSTOMER_KEY]["account"]}
            data["config"].pop(PROFILES_KEY, None)  # the account alone: no profile adds SSO
            StackFile(root / "stacks", name).save(data)
        copy_fleet_file(root, endpoint, provider_only=True)  # account-only: no PBX default either
    for name, spec in (customers or {}).items():
        write_stack(root, name, spec, endpoint)
    return root


def write_stack(root: Path, name: str, spec: dict[str, Any], endpoint: str) -> Path:
    salt, client_secret = fleet_client_secret()  # acme-iberia's salt: its pbxPassword opens with it too
    file = StackFile(root / "stacks", name)
    file.save({"encryptionsalt": salt,  # a full stack file: provider settings of its own, no fleet file needed
               "config": {"cloudlink:endpoint": endpoint, "cloudlink:clientId": "demo-partner",
                          "cloudlink:clientSecret": client_secret, CUSTOMER_KEY: spec}})
    return file.path


def generated(count: int, prefix: str = "Customer") -> dict[str, dict[str, Any]]:
    return {f"{prefix.lower()}-{i:03d}": customer(i, prefix) for i in range(1, count + 1)}


def fleet_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The CLI's environment: the demo passphrase, no backend inherited from the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PULUMI_BACKEND_URL", "CLOUDLINK_"))}
    env["PULUMI_CONFIG_PASSPHRASE"] = DEMO_PASSPHRASE
    env["COLUMNS"] = "200"
    env.update(extra or {})
    return env


def fleet(project: Path, *args: str, env: dict[str, str] | None = None,
          timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`cloudlink fleet <args> --project-dir <project>` as a user runs it."""
    return subprocess.run([CLOUDLINK, "fleet", *args, "--project-dir", str(project)], env=env or fleet_env(),
                          capture_output=True, text=True, timeout=timeout)


def check(result: subprocess.CompletedProcess[str], code: int) -> subprocess.CompletedProcess[str]:
    """`result`, when it exited with `code`; else a failure showing what it printed (the tail of a long run's)."""
    assert result.returncode == code, (f"exit {result.returncode}, expected {code}\n--- stdout\n{result.stdout[-8000:]}"
                                       f"\n--- stderr\n{result.stderr[-4000:]}")
    return result


def lock_files(project: Path) -> list[Path]:
    locks = project / ".state" / ".pulumi" / "locks"
    return sorted(locks.rglob("*.json")) if locks.exists() else []


# -- full customers, written as `cloudlink fleet import` writes them ----------------------------------
# One of each PBX type, each with the gateway kind it runs beside and every block that type allows:
# roles on MiVoice 5000 (CTI) and MX-ONE (USER), Teams on MiVoice Business (bidirectional) and
# MiVoice Office 400 (unidirectional); SSO with Azure AD Sync on all.
FULL_KINDS = (("mivoice-5000", "appliance", "CTI", None), ("mx-one", "virtual", "USER", None),
              ("mivoice-business", "mbg", None, "bidirectional"),
              ("mivoice-office-400", "embedded-smbc", None, "unidirectional"))
PBX_PASSWORD, TEAMS_SECRET = "pbx-pass-0001", "teams-secret-0001"


def full_customer(i: int, prefix: str = "Full") -> dict[str, Any]:
    pbx_type, gateway_type, role, teams_mode = FULL_KINDS[i % len(FULL_KINDS)]
    sso = sample_spec_raw("acme-iberia")["sso"]
    spec: dict[str, Any] = {
        "account": {"name": f"{prefix} {i:04d}", "domain": f"{prefix.lower()}{i:04d}.example",
                    "languageCode": LANGUAGES[i % len(LANGUAGES)]},
        "gateway": {"serialNumber": f"CLGW-{prefix.upper()[:4]}-{i:05d}", "type": gateway_type,
                    "name": f"Site {i}"},
        "pbx": {"type": pbx_type, "host": f"pbx{i}.{prefix.lower()}.example", "port": 443 + i % 3,
                "username": "cloudlink"},
        "sso": {**sso, "scim": True},
    }
    if role:
        spec["roles"] = [{"extension": str(2001 + k), "role": role} for k in range(2)]
    if teams_mode:
        spec["teams"] = {"tenantId": f"{i:08x}-1111-4222-8333-{i:012x}", "clientId": f"{i:08x}-aaaa-4bbb-8ccc-{i:012x}",
                         "mode": teams_mode}
    return spec


def full_customers(count: int, prefix: str = "Full") -> dict[str, dict[str, Any]]:
    return {f"{prefix.lower()}-{i:04d}": full_customer(i, prefix) for i in range(1, count + 1)}


def write_imported_stacks(root: Path, customers: dict[str, dict[str, Any]], endpoint: str,
                          passphrase: str = DEMO_PASSPHRASE) -> None:
    """Stack files laid out as `cloudlink fleet import` writes them: the fleet's shared encryption salt
    (stacks/.fleet-encryptionsalt), the provider config with the client secret as a secret, the
    write-only secrets under their config keys, and the spec block."""
    from cloudlink_provider.fleet.state.secrets import Passphrase, fleet_salt

    (root / "stacks").mkdir(parents=True, exist_ok=True)
    crypt = Passphrase(passphrase)
    salt = fleet_salt(root / "stacks", crypt)
    for name, spec in customers.items():
        config: dict[str, Any] = {"cloudlink:endpoint": endpoint, "cloudlink:clientId": "demo-partner",
                                  "cloudlink:clientSecret": {"secure": crypt.encrypt(salt, "demo-partner-secret")}}
        if "pbx" in spec:
            config["cloudlink-fleet:pbxPassword"] = {"secure": crypt.encrypt(salt, PBX_PASSWORD)}
        if "teams" in spec:
            config["cloudlink-fleet:teamsClientSecret"] = {"secure": crypt.encrypt(salt, TEAMS_SECRET)}
        config[CUSTOMER_KEY] = spec
        StackFile(root / "stacks", name).save({"encryptionsalt": salt, "config": config})
