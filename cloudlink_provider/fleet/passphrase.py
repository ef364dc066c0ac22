"""Which passphrase protects the stacks' secrets: the fleet's policy (issue 15, point 1).

Owns two rules and nothing else:

- no default passphrase: every fleet command that reads or writes secrets
  refuses to run, with one line saying what to set, when neither
  PULUMI_CONFIG_PASSPHRASE nor PULUMI_CONFIG_PASSPHRASE_FILE is set. The demo
  passphrase (published in the README) is used only where it is asked for
  explicitly: `make demo` and the sample stacks (`demo_env`);
- a loud warning when stacks that are not the samples are opened with the
  demo passphrase: their secrets are readable by anyone who read the README.

It decrypts nothing and never prints a passphrase.
"""

from __future__ import annotations

from pathlib import Path

from .engine.env import DEMO_PASSPHRASE, PROJECT_ROOT
from .errors import ExitCode, FleetError

PASSPHRASE_VARS = ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE")
SAMPLES_DIR = PROJECT_ROOT / "stacks"  # the committed sample customers, encrypted with the demo passphrase


class NoPassphrase(FleetError):
    """No passphrase is configured: the command would otherwise fall back to a public one."""


def require_passphrase(env: dict[str, str]) -> None:
    """Refuse to go on without a passphrase of the partner's own choosing (one line: what to set)."""
    if env.get("PULUMI_CONFIG_PASSPHRASE") or env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
        return
    raise NoPassphrase("no passphrase for the stacks' secrets: set PULUMI_CONFIG_PASSPHRASE (or "
                       "PULUMI_CONFIG_PASSPHRASE_FILE) to your fleet's own passphrase; the demo's "
                       f"({DEMO_PASSPHRASE!r}) is public and only for the sample stacks (`make demo`)",
                       ExitCode.USAGE)


def demo_env(env: dict[str, str]) -> dict[str, str]:
    """The environment for the demo and the sample stacks: the published demo passphrase, explicitly."""
    env = {k: v for k, v in env.items() if k != "PULUMI_CONFIG_PASSPHRASE_FILE"}
    env["PULUMI_CONFIG_PASSPHRASE"] = DEMO_PASSPHRASE
    return env


def is_sample(stacks_dir: Path, name: str) -> bool:
    """A committed sample stack of this repository (the only stacks the demo passphrase may protect)."""
    try:
        return stacks_dir.resolve() == SAMPLES_DIR.resolve() and (SAMPLES_DIR / f"Pulumi.{name}.yaml").is_file()
    except OSError:
        return False


def public_passphrase_warning(env: dict[str, str], stacks_dir: Path, names: list[str]) -> str | None:
    """A warning when the passphrase in use is the published demo one and a stack is not a sample."""
    if env.get("PULUMI_CONFIG_PASSPHRASE") != DEMO_PASSPHRASE:
        if not env.get("PULUMI_CONFIG_PASSPHRASE_FILE"):
            return None
        try:
            if Path(env["PULUMI_CONFIG_PASSPHRASE_FILE"]).read_text().rstrip("\n") != DEMO_PASSPHRASE:
                return None
        except OSError:
            return None
    exposed = [n for n in names if not is_sample(stacks_dir, n)]
    if not exposed:
        return None
    shown = ", ".join(exposed[:5]) + (f" and {len(exposed) - 5} more" if len(exposed) > 5 else "")
    return (f"WARNING: the secrets of {shown} are protected by the PUBLIC demo passphrase "
            f"({DEMO_PASSPHRASE!r}, printed in the README): anyone with the stack files can read them. "
            "Choose your own passphrase and re-encrypt (README, \"Secrets\").")
