"""Where `cloudlink fleet import` takes each customer's write-only secrets from (issue 15, point 6).

Owns the rule that every imported customer gets its own PBX password and Teams
client secret. `--pbx-password-env VAR` / `--teams-secret-env VAR` name either
one environment variable (one customer's secret), or a pattern with `{stack}`,
read per customer: `PBX_PASSWORD_{stack}` reads `PBX_PASSWORD_ACME_IBERIA` for
the stack `acme-iberia` (the stack name upper-cased, every other character `_`).
A single shared variable is refused when more than one imported customer would
receive it. Reads the environment only; never prints a value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .errors import usage

PLACEHOLDER = "{stack}"


def variable_for(pattern: str, stack: str) -> str:
    """`PBX_PASSWORD_{stack}` for `acme-iberia` -> `PBX_PASSWORD_ACME_IBERIA`."""
    return pattern.replace(PLACEHOLDER, re.sub(r"[^A-Z0-9]", "_", stack.upper()))


@dataclass(frozen=True)
class SecretSource:
    key: str       # the config key it fills (pbxPassword, teamsClientSecret)
    variable: str  # a variable name, or a pattern with {stack}
    option: str    # the flag it came from, for messages

    @property
    def per_customer(self) -> bool:
        return PLACEHOLDER in self.variable

    def value(self, stack: str, environ: Mapping[str, str] | None = None) -> str | None:
        environ = os.environ if environ is None else environ
        return environ.get(variable_for(self.variable, stack)) or None


def secret_sources(options: Mapping[str, tuple[str, str | None]],
                   environ: Mapping[str, str] | None = None) -> dict[str, SecretSource]:
    """{config key: source} from `{config key: (flag, VAR or pattern)}`. A plain variable that is unset is
    bad usage (said before anything is read or written); a pattern is read per customer."""
    environ = os.environ if environ is None else environ
    sources = {}
    for key, (option, variable) in options.items():
        if not variable:
            continue
        source = SecretSource(key, variable, option)
        if not source.per_customer and not environ.get(variable):
            raise usage(f"the environment variable {variable} (the {key} to store) is not set or empty")
        sources[key] = source
    return sources


def refuse_shared(sources: Mapping[str, SecretSource], needing: Mapping[str, list[str]]) -> None:
    """Refuse one shared secret for several customers: `needing` is {config key: stacks that need it}."""
    for key, source in sources.items():
        stacks = needing.get(key) or []
        if not source.per_customer and len(stacks) > 1:
            raise usage(f"{source.option} {source.variable} would give the same {key} to {len(stacks)} customers "
                        f"({', '.join(stacks[:4])}{', ...' if len(stacks) > 4 else ''}); give each its own: "
                        f"{source.option} '{source.variable}_{PLACEHOLDER}' reads {variable_for(source.variable + '_' + PLACEHOLDER, stacks[0])} "
                        f"for {stacks[0]}")
