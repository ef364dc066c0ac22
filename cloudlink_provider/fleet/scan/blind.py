"""What no drift check can see, said the same way by the scan and by `drift --engine`.

Owns the notes on write-only inputs: each provider declares the inputs CloudLink
never returns (`write_only`: the PBX password, the Teams client secret), so
neither the engine's refresh nor the scan can tell whether someone changed them
in the console. Both drift modes attach the same note, in the same words, to each
customer whose spec declares such a resource.
"""

from __future__ import annotations

from pathlib import Path


from ..customer.model import SpecError, parse_customer
from .desired import MissingSecret, desired
from .stacks import CUSTOMER_KEY, StackFile


def write_only_notes(stacks_dir: Path, name: str) -> list[str]:
    """One line per resource of the stack's spec with write-only inputs ([] when the spec cannot be read)."""
    try:
        spec = parse_customer(StackFile(stacks_dir, name).config().get(CUSTOMER_KEY))
        plan = desired(spec, {"pbxPassword": "x", "teamsClientSecret": "x"}, name)
    except (SpecError, MissingSecret, AttributeError, TypeError):
        return []
    notes = []
    for rname, p in plan.items():
        for field in p.provider.write_only:
            notes.append(f"{rname} ({p.type.split('dynamic/', 1)[-1]}): {field} is write-only: CloudLink never "
                         "returns it, so a change made outside Pulumi cannot be seen (`up` re-sends it only when "
                         "the stack's value changes)")
    return notes
