"""A customer as the standards see it, and the live facts a watch needs. Pure data; no I/O.

`Customer` is (stack name, labels, effective spec as a plain dict): the interface the
fleet file's effective spec (`cloudlink_provider.customer`) hands over. `LiveFacts` is
what the fleet read from CloudLink for this customer (or None where it did not look);
a standard that needs a live fact it does not have falls back to the spec, and says so.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Mapping

from ..customer.saml import pem_certificates


@dataclass(frozen=True)
class PendingUser:
    email: str
    since: date | None  # when the welcome email was sent (the user's creation); None: not known


@dataclass
class LiveFacts:
    """What CloudLink says now; every field None when it was not read."""
    sso_certificate: str | None = None        # the identity provider's certificate(s), PEM
    pending_users: list[PendingUser] | None = None
    onboarded_users: int | None = None       # CloudLink users the stack onboarded
    role_holders: int | None = None          # extensions holding a CloudLink role on the account's PBX


@dataclass
class Customer:
    name: str
    labels: Mapping[str, str]
    spec: Mapping[str, Any]  # the effective spec, as a plain dict (model_dump of the validated spec)
    live: LiveFacts | None = None

    def get(self, path: str, today: date | None = None) -> Any:
        """A dotted spec path (`sso.scim`), `labels.<key>`, `name`, or `live.<fact>`; None when absent."""
        if path == "name":
            return self.name
        head, _, rest = path.partition(".")
        if head == "labels":
            return self.labels.get(rest)
        if head == "live":
            return live_value(self.live, rest, today)
        value: Any = self.spec
        for part in path.split("."):
            if not isinstance(value, Mapping):
                return None
            value = value.get(part)
        return value


# Live facts a partner's rule may name (`live.<name>`), each in words for the README and errors.
LIVE_FIELDS = {
    "pendingUsers": "users still pending activation (a number)",
    "onboardedUsers": "CloudLink users the stack onboarded (a number)",
    "roleHolders": "extensions holding a CloudLink role (a number)",
    "ssoCertificateDaysLeft": "days until the live SSO certificate expires (a number)",
}


def live_value(live: LiveFacts | None, name: str, today: date | None = None) -> Any:
    if live is None:
        return None
    if name == "pendingUsers":
        return None if live.pending_users is None else len(live.pending_users)
    if name == "onboardedUsers":
        return live.onboarded_users
    if name == "roleHolders":
        return live.role_holders
    if name == "ssoCertificateDaysLeft":
        expiry = certificate_expiry(live.sso_certificate) if live.sso_certificate else None
        return None if expiry is None else (expiry - (today or date.today())).days
    return None


def certificate_expiry(pem: str) -> date | None:
    """The earliest `notAfter` of the certificates in a PEM text (the day sign-in stops); None if unreadable."""
    from cryptography import x509

    try:
        bodies = pem_certificates(pem)
    except ValueError:
        return None
    days: list[date] = []
    for body in bodies:
        try:
            cert = x509.load_der_x509_certificate(base64.b64decode(body))
        except ValueError:
            continue
        days.append(cert.not_valid_after_utc.date())
    return min(days) if days else None


def parse_day(text: str | None) -> date | None:
    """An API timestamp (`2026-12-01T10:00:00Z`) or date as a date; None when absent or unreadable."""
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).date()
    except ValueError:
        return None
