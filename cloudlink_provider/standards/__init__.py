"""Standards: what a partner holds every customer to, beyond what a valid spec must be.

A layer above the customer model (`cloudlink_provider.customer`) and below the fleet:
it reads a customer as (name, labels, effective spec) plus the live facts the fleet
gathered, and says which standards it follows. It never calls CloudLink, never reads
state and never runs the engine; the fleet (`cloudlink fleet standards`, the drift
scan) and the policy pack (`policy/`, run by `pulumi preview|up --policy-pack`) feed it
and evaluate the same definitions.

Rooms:
- `facts.py`     a customer as this layer sees it, and the live facts (SSO certificate, pending users...)
- `builtin.py`   the built-in standards from Mitel's guide and the operational risks, each with its source
- `rules.py`     the partner's own rules: a small declarative condition form over spec paths, labels, live facts
- `model.py`     the standards file (`stacks/standards.yaml`): its model and loading, one-line errors
- `evaluate.py`  the evaluation: per customer violations and alignment score, per standard "N of M", exit code
- `policy.py`    the same evaluation as a Pulumi policy pack (imports pulumi_policy; used only by `policy/`)

Standards are not validation: an invalid spec still fails at check, naming the field;
a standard is a choice the partner may except (with a reason and an expiry date).
"""

from .evaluate import Finding, StandardsReport, evaluate
from .facts import Customer, LiveFacts
from .model import STANDARDS_FILE, Standards, StandardsError, load_standards, parse_standards

__all__ = ["Customer", "Finding", "LiveFacts", "STANDARDS_FILE", "Standards", "StandardsError", "StandardsReport",
           "evaluate", "load_standards", "parse_standards"]
