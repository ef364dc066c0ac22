"""The provider's SAML single sign-on checks: what the spec's sso block must hold before anything is sent.

Owns what makes a SAML identity-provider setting well formed on the provider's
side: https URLs and PEM certificates, and the canonical form CloudLink shows
certificates in (Mitel's `samlIdentityProvider.certificates`: one Base64 DER
string per certificate), which `read` compares with. The emulator enforces the
same rules with its own code (emulator/authentication/saml.py), so a bug here
still shows against it. Knows no HTTP, no store and no error classes: it
returns problems as text or raises `ValueError`.
"""

from __future__ import annotations

import base64
import binascii
import re
import textwrap
from urllib.parse import urlsplit

_PEM_BLOCK = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


def https_url_problem(value: object) -> str | None:
    """Why `value` is not an absolute https URL with a host, or None when it is one."""
    if not isinstance(value, str) or not value.strip():
        return "must be a non-empty string"
    try:
        parts = urlsplit(value)
    except ValueError as e:
        return f"is not a URL ({e})"
    if parts.scheme != "https":
        return "must be an https URL"
    if not parts.hostname or any(c.isspace() for c in value):
        return "must be an absolute https URL with a host"
    return None


def pem_certificates(value: object) -> list[str]:
    """The Base64 DER body of every certificate in a PEM text (or a list of PEM texts).

    Raises ValueError when there is no certificate or one is not valid Base64 DER.
    """
    texts = value if isinstance(value, list) else [value]
    if not texts or not all(isinstance(t, str) for t in texts):
        raise ValueError("certificates must be PEM text (-----BEGIN CERTIFICATE----- ...)")
    bodies: list[str] = []
    for text in texts:
        blocks = _PEM_BLOCK.findall(text)
        leftover = _PEM_BLOCK.sub("", text).strip()
        if not blocks or leftover:
            raise ValueError("certificates must be one or more PEM blocks "
                             "(-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----) and nothing else")
        for block in blocks:
            body = "".join(block.split())
            try:
                der = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise ValueError("a certificate is not valid Base64") from None
            if len(der) < 64 or der[0] != 0x30:  # an X.509 certificate is a DER SEQUENCE
                raise ValueError("a certificate is not a DER-encoded X.509 certificate")
            bodies.append(body)
    return bodies


def pem_text(bodies: list[str]) -> str:
    """PEM text from the Base64 DER strings CloudLink lists certificates as (64-character lines);
    the inverse of `pem_certificates`."""
    return "".join("-----BEGIN CERTIFICATE-----\n" + "\n".join(textwrap.wrap(body, 64)) +
                   "\n-----END CERTIFICATE-----\n" for body in bodies)
