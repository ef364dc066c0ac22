"""What no drift check can see, said the same way by the scan and by `drift --engine`.

Owns the notes on write-only inputs: each provider declares the inputs CloudLink
never returns (`write_only`: the PBX password, the Teams client secret), so
neither the engine's refresh nor the scan can tell whether someone changed them
in the console. Both drift modes attach the same note, in the same words, to each
customer whose spec declares such a resource.
"""

from __future__ import annotations

from typing import Any

from ...customer.model import SpecError, parse_customer
from ...plan import SECRET_OF_BLOCK
from ...pulumi_facts import short_type
from .desired import MissingSecret, desired


def write_only_notes(spec_data: Any, name: str) -> list[str]:
    """One line per resource of the customer's effective spec (stack file over fleet file) with write-only inputs
    ([] when the spec cannot be read)."""
    try:
        spec = parse_customer(spec_data)
        plan = desired(spec, {key: "x" for key in SECRET_OF_BLOCK.values()}, name)
    except (SpecError, MissingSecret, AttributeError, TypeError):
        return []
    notes = []
    for rname, p in plan.items():
        for field in p.provider.write_only:
            notes.append(f"{rname} ({short_type(p.type)}): {field} is write-only: CloudLink never "
                         "returns it, so a change made outside Pulumi cannot be seen (`up` re-sends it only when "
                         "the stack's value changes)")
    return notes
