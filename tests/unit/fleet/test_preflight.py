"""The connectivity preflight (issue 15, point 2): each distinct endpoint and client tried once, failures in one
line naming the endpoint, the cause and what to check in which file; bounded; the file's own credentials."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from cloudlink_provider.client import ClientConfig, TransportError, Unauthorized
from cloudlink_provider.fleet import preflight as pf
from cloudlink_provider.fleet.state.secrets import Passphrase
from cloudlink_provider.fleet.stacks import StackFile

PASSPHRASE = Passphrase("unit-preflight")


@pytest.fixture(scope="module")
def salt() -> str:
    return PASSPHRASE.new_state()


def stack(stacks: Path, name: str, endpoint: str, salt: str, secret: str = "s3cret") -> None:
    StackFile(stacks, name).save({"encryptionsalt": salt, "config": {
        "cloudlink:endpoint": endpoint, "cloudlink:clientId": "partner",
        "cloudlink:clientSecret": {"secure": PASSPHRASE.encrypt(salt, secret)},
        "cloudlink-fleet:customer": {"account": {"name": name}}}})


def test_each_distinct_endpoint_and_client_is_tried_once_and_its_stacks_share_the_answer(tmp_path, salt):
    for name in ("a", "b", "c"):
        stack(tmp_path, name, "http://good", salt)
    stack(tmp_path, "d", "http://nowhere", salt)
    stack(tmp_path, "e", "http://good", salt, secret="wrong")
    tried = []

    def check(config: ClientConfig):
        tried.append((config.endpoint, config.client_secret))
        if config.endpoint == "http://nowhere":
            return "connection refused", "cloudlink:endpoint"
        if config.client_secret == "wrong":
            return "the credentials were refused (401 ClientSecretMismatch: no)", "cloudlink:clientId and cloudlink:clientSecret"
        return None

    problems = pf.preflight(tmp_path, ["a", "b", "c", "d", "e"], PASSPHRASE, check)
    assert sorted(tried) == [("http://good", "s3cret"), ("http://good", "wrong"), ("http://nowhere", "s3cret")]
    assert set(problems) == {"d", "e"}
    assert problems["d"].message == ("cannot use CloudLink at http://nowhere as client partner: connection refused; "
                                     "nothing was planned or saved. Check cloudlink:endpoint in stacks/Pulumi.d.yaml")
    assert "401 ClientSecretMismatch" in problems["e"].message and "stacks/Pulumi.e.yaml" in problems["e"].message
    assert all("wrong" not in p.message and "s3cret" not in p.message for p in problems.values())


def test_a_stack_whose_secrets_a_cloud_kms_encrypts_is_left_to_the_engine(tmp_path, salt):
    """Issue 20: an awskms stack file has no encryptionsalt; the preflight cannot open it, so the scan hands it
    over (scan/loop.py) and the engine's run reports what it cannot reach -- never a failed row from here."""
    stack(tmp_path, "a", "http://good", salt)
    StackFile(tmp_path, "k").save({"secretsprovider": "awskms://alias/fleet?region=us-east-1", "config": {
        "cloudlink:endpoint": "http://good", "cloudlink:clientId": "partner",
        "cloudlink:clientSecret": {"secure": "AQICAHh...kms-ciphertext"}}})
    StackFile(tmp_path, "p").save({"secretsprovider": "passphrase", "config": {
        "cloudlink:endpoint": "http://good", "cloudlink:clientId": "partner",
        "cloudlink:clientSecret": {"secure": "v1:bm9uY2U=:Y2lwaGVy"}}})
    tried = []
    problems = pf.preflight(tmp_path, ["a", "k", "p"], PASSPHRASE, lambda c: tried.append(c.endpoint))
    assert tried == ["http://good"]
    assert set(problems) == {"p"}  # a passphrase stack without its salt still fails here, naming the file
    assert "Pulumi.p.yaml" in problems["p"].message


def test_a_wrong_passphrase_or_broken_yaml_names_the_file_not_a_new_stack(tmp_path, salt):
    stack(tmp_path, "a", "http://good", salt)
    (tmp_path / "Pulumi.b.yaml").write_text("config:\n  cloudlink:endpoint: [unclosed\n")
    problems = pf.preflight(tmp_path, ["a", "b"], Passphrase("not-it"), lambda c: None)
    assert "cannot open the secrets of stacks/Pulumi.a.yaml" in problems["a"].message
    assert "incorrect passphrase" in problems["a"].message and "new stack" not in problems["a"].message
    assert "stacks/Pulumi.b.yaml is not valid YAML at line" in problems["b"].message


def test_causes_are_named_as_a_partner_would_check_them():
    refused = TransportError("POST x: ConnectError: [Errno 111] Connection refused")
    refused.__cause__ = httpx.ConnectError("[Errno 111] Connection refused")
    dns = TransportError("POST x: ConnectError")
    dns.__cause__ = httpx.ConnectError("[Errno -2] Name or service not known")
    slow = TransportError("POST x: ReadTimeout")
    slow.__cause__ = httpx.ReadTimeout("timed out")
    assert pf._cause(refused) == ("connection refused", "cloudlink:endpoint")
    assert pf._cause(dns) == ("its host name does not resolve (DNS)", "cloudlink:endpoint")
    assert pf._cause(slow)[0].endswith("(timeout)")
    cause, what = pf._cause(Unauthorized(401, "ClientSecretMismatch", "bad secret", "cid-1"))
    assert "401 ClientSecretMismatch: bad secret" in cause and "cid-1" in cause
    assert what == "cloudlink:clientId and cloudlink:clientSecret"


def test_a_refused_connection_fails_fast_and_a_silent_endpoint_is_bounded(monkeypatch):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    start = time.monotonic()
    assert pf.grant(ClientConfig(f"http://127.0.0.1:{closed}", "p", "s")) == ("connection refused",
                                                                                 "cloudlink:endpoint")
    assert time.monotonic() - start < 5  # no per-call retry storm

    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)  # accepts connections, never answers
    stop = threading.Event()
    try:
        monkeypatch.setattr(pf, "TIMEOUT_S", 0.5)
        start = time.monotonic()
        cause, what = pf.grant(ClientConfig(f"http://127.0.0.1:{silent.getsockname()[1]}", "p", "s"))
        took = time.monotonic() - start
        assert "timeout" in cause and what.startswith("cloudlink:endpoint")
        assert took < pf.ATTEMPTS * 0.5 + pf.MAX_WAIT_S + 2  # ATTEMPTS x TIMEOUT_S and a short back-off
    finally:
        stop.set()
        silent.close()
