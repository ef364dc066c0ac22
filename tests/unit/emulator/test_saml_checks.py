"""The emulator's own SAML checks (apart from the provider's): https URLs and PEM certificates."""

from __future__ import annotations

import pytest

from cloudlink_provider.emulator.authentication.saml import https_url_problem, pem_certificates
from tests.unit.identity_world import CERT_B64, CERT_PEM


@pytest.mark.parametrize("value,problem", [
    ("https://login.example/saml2", None),
    ("http://login.example/saml2", "must be an https URL"),
    ("https:///nohost", "must be an absolute https URL with a host"),
    ("https://a b.example", "must be an absolute https URL with a host"),
    ("", "must be a non-empty string"),
    (None, "must be a non-empty string"),
])
def test_https_urls(value, problem):
    assert https_url_problem(value) == problem


def test_pem_certificates_read_one_or_many_and_refuse_anything_else():
    assert pem_certificates(CERT_PEM) == [CERT_B64]
    assert pem_certificates([CERT_PEM, CERT_PEM + CERT_PEM]) == [CERT_B64] * 3
    for bad in ("", "not a certificate", CERT_PEM + "trailing text", "junk\n" + CERT_PEM,
                CERT_PEM.replace("-----END CERTIFICATE-----", ""), [], [42]):
        with pytest.raises(ValueError, match="certificate"):
            pem_certificates(bad)
    with pytest.raises(ValueError, match="not valid Base64"):
        pem_certificates("-----BEGIN CERTIFICATE-----\n@@@@\n-----END CERTIFICATE-----\n")
    with pytest.raises(ValueError, match="not a DER-encoded X.509"):
        pem_certificates("-----BEGIN CERTIFICATE-----\nQUJD\n-----END CERTIFICATE-----\n")
