"""The emulator's own SAML checks: what the Authentication API refuses in an identity provider's settings.

Written apart from the provider's (cloudlink_provider/customer/saml.py) on
purpose: the emulator plays the real service, so a bug in the provider's
validator must still meet a refusal here. Owns the https URL rule and the
reading of PEM certificates into the Base64 DER strings CloudLink stores and
returns. Raises `ValueError` (or returns the problem as text); the store turns
that into the API's error.
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlsplit

BEGIN, END = "-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----"


def https_url_problem(value: object) -> str | None:
    """Why `value` is not an absolute https URL with a host, or None when it is one."""
    if not isinstance(value, str) or value.strip() == "":
        return "must be a non-empty string"
    if any(c.isspace() for c in value):
        return "must be an absolute https URL with a host"
    try:
        url = urlsplit(value)
        host = url.hostname
    except ValueError as e:
        return f"is not a URL ({e})"
    if url.scheme != "https":
        return "must be an https URL"
    return None if host else "must be an absolute https URL with a host"


def _blocks(text: str) -> list[str]:
    """The bodies between BEGIN/END lines; ValueError when anything else is in the text."""
    bodies: list[str] = []
    body: list[str] | None = None
    well_formed = True
    for line in (ln.strip() for ln in text.splitlines()):
        if not line:
            continue
        if line == BEGIN and body is None:
            body = []
        elif line == END and body is not None:
            bodies.append("".join(body))
            body = None
        elif body is not None and BEGIN not in line and END not in line:
            body.append(line)
        else:
            well_formed = False
            break
    if not well_formed or body is not None or not bodies:
        raise ValueError(f"certificates must be one or more PEM blocks ({BEGIN} ... {END}) and nothing else")
    return bodies


def pem_certificates(value: object) -> list[str]:
    """The Base64 DER body of every certificate in a PEM text (or a list of PEM texts), as CloudLink stores
    them; ValueError when there is none or one is not a DER-encoded X.509 certificate."""
    texts = value if isinstance(value, list) else [value]
    if not texts or any(not isinstance(t, str) for t in texts):
        raise ValueError(f"certificates must be PEM text ({BEGIN} ...)")
    out = []
    for text in texts:
        for body in _blocks(text):
            try:
                der = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("a certificate is not valid Base64") from None
            if len(der) < 64 or der[:1] != b"\x30":  # X.509 is a DER SEQUENCE
                raise ValueError("a certificate is not a DER-encoded X.509 certificate")
            out.append(body)
    return out
