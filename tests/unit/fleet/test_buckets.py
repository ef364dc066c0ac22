"""Object-store backends without a server: URLs opened as the engine opens them (state/buckets.py), the
checkpoint reader over a bucket (one listing, the newest variant, bounded reads), and recover's locks and
repairs in a bucket (state/locks.py, state/repair.py). The e2e suite runs the same code against real S3, Azure Blob and GCS servers."""

from __future__ import annotations

import gzip
import json
import socket
import threading
import time
from urllib.parse import parse_qs, urlparse

import pytest

from cloudlink_provider.fleet.stacks import StackConfig, StackFile
from cloudlink_provider.fleet.state.buckets import (AzureBucket, Blob, BucketError, GCSBucket, S3Bucket,
                                                    UnsupportedBackend, azure_service_url, open_bucket,
                                                    translate_legacy_s3)
from cloudlink_provider.fleet.state.checkpoint import CheckpointError, CheckpointReader, open_reader
from cloudlink_provider.fleet.state.layout import Layout
from cloudlink_provider.fleet.state.locks import read_locks, release
from cloudlink_provider.fleet.state.repair import RecoverError, repair_blobs
from cloudlink_provider.fleet.state.secrets import kms_provider

PROJECT = "cloudlink-fleet"


class MemoryBucket:
    """A bucket in a dict: key -> (bytes, modified); counts listings and tracks concurrent reads."""

    scheme = "s3"
    url = "s3://memory"

    def __init__(self, read_delay: float = 0.0):
        self.blobs: dict[str, tuple[bytes, float]] = {}
        self.listings = 0
        self.reading = self.most_reading = 0
        self._lock = threading.Lock()
        self.read_delay = read_delay

    def put(self, key: str, data: bytes, modified: float = 1.0) -> None:
        self.blobs[key] = (data, modified)

    def listing(self, prefix: str) -> list[Blob]:
        self.listings += 1
        return [Blob(k, m, len(d)) for k, (d, m) in sorted(self.blobs.items()) if k.startswith(prefix)]

    def list(self, prefix: str) -> list[str]:
        return [b.key for b in self.listing(prefix)]

    def read(self, key: str) -> bytes | None:
        with self._lock:
            self.reading += 1
            self.most_reading = max(self.most_reading, self.reading)
        time.sleep(self.read_delay)
        with self._lock:
            self.reading -= 1
        found = self.blobs.get(key)
        return found[0] if found else None

    def write(self, key: str, data: bytes) -> None:
        self.put(key, data, time.time())

    def delete(self, key: str) -> None:
        self.blobs.pop(key, None)

    def modified(self, key: str) -> float | None:
        found = self.blobs.get(key)
        return found[1] if found else None

    def close(self) -> None:
        pass


def checkpoint(stack: str, accounts: int = 1) -> bytes:
    resources = [{"urn": f"urn:pulumi:{stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{stack}",
                  "type": "pulumi:pulumi:Stack", "custom": False}]
    resources += [{"urn": f"urn:pulumi:{stack}::{PROJECT}::x:index:Account::account{i}", "type": "x:index:Account",
                   "custom": True, "id": f"acc-{i}", "inputs": {}, "outputs": {}} for i in range(accounts)]
    return json.dumps({"version": 3, "checkpoint": {"stack": stack, "latest": {
        "manifest": {"version": "v3.260.0"}, "secrets_providers": {"type": "passphrase", "state": {"salt": "v1:x"}},
        "resources": resources}}}).encode()


def no_export(stack: str):
    raise AssertionError(f"the engine was asked for {stack}")


# -- URLs, as the engine reads them ---------------------------------------------------------------------
def test_legacy_s3_parameters_are_translated_as_the_engine_does(monkeypatch):
    monkeypatch.delenv("AWS_REQUEST_CHECKSUM_CALCULATION", raising=False)
    q = parse_qs(urlparse(translate_legacy_s3("s3://b/p?endpoint=minio:9000&disableSSL=true&s3ForcePathStyle=true")).query)
    assert q == {"endpoint": ["http://minio:9000"], "disable_https": ["true"], "s3ForcePathStyle": ["true"],
                 "request_checksum_calculation": ["when_required"]}
    q = parse_qs(urlparse(translate_legacy_s3("s3://b?endpoint=minio:9000")).query)
    assert q["endpoint"] == ["https://minio:9000"]
    assert translate_legacy_s3("s3://b?region=eu-west-1&awssdk=v2") == "s3://b?region=eu-west-1&awssdk=v2"
    explicit = "s3://b?endpoint=https://x&request_checksum_calculation=when_supported"
    assert translate_legacy_s3(explicit) == explicit


def test_s3_urls_open_with_the_engines_parameters_and_refuse_others(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "k")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s")
    bucket = S3Bucket("s3://state/team/a?endpoint=127.0.0.1:9000&disableSSL=true&s3ForcePathStyle=true&region=eu-west-1")
    assert (bucket.name, bucket.prefix) == ("state", "team/a/")
    assert bucket.client.meta.endpoint_url == "http://127.0.0.1:9000"
    assert bucket.client.meta.region_name == "eu-west-1"
    assert bucket.client.meta.config.s3["addressing_style"] == "path"
    monkeypatch.setenv("AWS_REGION", "ap-south-1")
    assert S3Bucket("s3://state").client.meta.region_name == "ap-south-1"  # the Go SDK reads AWS_REGION
    with pytest.raises(BucketError, match="unknown query parameter 'colour'"):
        S3Bucket("s3://state?colour=blue")
    with pytest.raises(UnsupportedBackend):
        S3Bucket("s3://state?role=arn:aws:iam::1:role/x&region=eu-west-1")
    with pytest.raises(BucketError, match="invalid value for query parameter 's3ForcePathStyle'"):
        S3Bucket("s3://state?s3ForcePathStyle=maybe")


def test_an_s3_backend_this_module_does_not_open_falls_back_to_the_engine(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    reader = open_reader("s3://state?role=arn:aws:iam::1:role/x", PROJECT, no_export)
    assert reader.source == "export"


def test_the_azure_service_url_is_built_as_gocloud_builds_it():
    assert azure_service_url({}, {"AZURE_STORAGE_ACCOUNT": "acct"}) == ("https://acct.blob.core.windows.net", "acct")
    azurite = {"AZURE_STORAGE_ACCOUNT": "dev", "AZURE_STORAGE_DOMAIN": "127.0.0.1:10000", "AZURE_STORAGE_PROTOCOL": "http"}
    assert azure_service_url({}, azurite)[0] == "http://127.0.0.1:10000/dev"
    assert azure_service_url({"localemu": "true", "domain": "azurite:10000"}, {"AZURE_STORAGE_ACCOUNT": "a"})[0] == \
        "https://azurite:10000/a"
    assert azure_service_url({"cdn": "true", "domain": "cdn.example"}, {"AZURE_STORAGE_ACCOUNT": "a"})[0] == \
        "https://cdn.example"
    assert azure_service_url({"storage_account": "other"}, {"AZURE_STORAGE_ACCOUNT": "a"})[1] == "other"
    connection = {"AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=http;AccountName=cs;AccountKey=k"}
    assert azure_service_url({}, connection) == ("http://cs.blob.core.windows.net", "cs")
    with pytest.raises(BucketError, match="unknown query parameter 'region'"):
        azure_service_url({"region": "x"}, {"AZURE_STORAGE_ACCOUNT": "a"})
    with pytest.raises(BucketError, match="AZURE_STORAGE_ACCOUNT"):
        azure_service_url({}, {})


def test_azure_and_gcs_urls_take_their_credentials_from_the_environment(monkeypatch):
    monkeypatch.setenv("AZURE_STORAGE_ACCOUNT", "dev")
    monkeypatch.setenv("AZURE_STORAGE_KEY", "a2V5")
    monkeypatch.setenv("AZURE_STORAGE_DOMAIN", "127.0.0.1:10000")
    monkeypatch.setenv("AZURE_STORAGE_PROTOCOL", "http")
    azure = AzureBucket("azblob://state/sub")
    assert azure.client.url.rstrip("/") == "http://127.0.0.1:10000/dev/state" and azure.prefix == "sub/"
    assert azure.client.credential.account_name == "dev"
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "127.0.0.1:4443")
    gcs = GCSBucket("gs://state")
    assert gcs.client._connection.API_BASE_URL == "http://127.0.0.1:4443"
    with pytest.raises(BucketError, match="invalid query parameter 'region'"):
        GCSBucket("gs://state?region=x")
    with pytest.raises(UnsupportedBackend):
        open_bucket("ftp://host/db")
    with pytest.raises(BucketError, match="names no bucket"):
        open_bucket("s3:///just-a-path")


# -- the checkpoint reader over a bucket ------------------------------------------------------------------
def test_one_listing_then_the_newest_variant_of_each_stack(monkeypatch):
    bucket = MemoryBucket()
    bucket.put(".pulumi/meta.yaml", b"version: 1\n")
    folder = f".pulumi/stacks/{PROJECT}/"
    bucket.put(folder + "a.json", checkpoint("a", 1), modified=10)
    bucket.put(folder + "a.json.gz", gzip.compress(checkpoint("a", 2)), modified=20)  # newer: wins
    bucket.put(folder + "b.json", checkpoint("b", 3), modified=30)
    bucket.put(folder + "b.json.gz", gzip.compress(checkpoint("b", 4)), modified=30)  # a tie: the later key
    bucket.put(folder + "c.json", checkpoint("c", 5), modified=40)
    bucket.put(folder + "c.json.bak", b"not read", modified=50)
    bucket.put(folder + "z.json.zst", b"zstd", modified=1)
    exported: list[str] = []
    reader = CheckpointReader(bucket, PROJECT, lambda stack: exported.append(stack))  # type: ignore[arg-type,func-returns-value]
    assert [len(reader.read(s).managed()) for s in ("a", "b", "c")] == [2, 4, 5]
    assert reader.read("never") is None
    assert reader.read("z") is None and exported == ["z"]  # .json.zst: the engine reads it
    assert bucket.listings == 1 and reader.listings == 1 and reader.source == "s3"


def test_the_legacy_layout_and_a_damaged_or_vanished_checkpoint():
    bucket = MemoryBucket()  # no meta.yaml: the legacy layout
    bucket.put(".pulumi/stacks/a.json", checkpoint("a"))
    bucket.put(".pulumi/stacks/b.json", b'{"version": 3, "check')
    bucket.put(".pulumi/stacks/c.json", checkpoint("c"))
    reader = CheckpointReader(bucket, PROJECT, no_export)
    assert reader.read("a").stack == "a"
    with pytest.raises(CheckpointError, match="stack b: cannot read .pulumi/stacks/b.json"):
        reader.read("b")
    bucket.delete(".pulumi/stacks/c.json")
    with pytest.raises(CheckpointError, match="deleted while the scan ran"):
        reader.read("c")


def test_reads_are_bounded_whatever_the_scans_parallelism():
    bucket = MemoryBucket(read_delay=0.02)
    bucket.put(".pulumi/meta.yaml", b"version: 1\n")
    for i in range(24):
        bucket.put(f".pulumi/stacks/{PROJECT}/s{i}.json", checkpoint(f"s{i}"))
    reader = CheckpointReader(bucket, PROJECT, no_export, reads=3)
    threads = [threading.Thread(target=reader.read, args=(f"s{i}",)) for i in range(24)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert bucket.most_reading == 3


# -- recover on a bucket ----------------------------------------------------------------------------------
def test_a_dead_engines_lock_in_a_bucket_is_removed_and_a_damaged_checkpoint_restored(tmp_path):
    bucket = MemoryBucket()
    layout = Layout.of(bucket, PROJECT)
    key = f".pulumi/locks/organization/{PROJECT}/acme/0b1c.json"
    bucket.put(key, json.dumps({"pid": 2 ** 22 + 7, "username": "ci", "hostname": socket.gethostname(),
                                "timestamp": "2026-12-01T10:00:00Z"}).encode())
    other = f".pulumi/locks/organization/{PROJECT}/acme/ffff.json"
    bucket.put(other, json.dumps({"pid": 1, "hostname": "another-runner"}).encode())
    locks = read_locks(bucket, layout, "acme")
    assert [(lock.key, lock.host) for lock in locks] == [(key, socket.gethostname()), (other, "another-runner")]
    done, left = release("acme", locks, False, bucket, no_export)
    assert len(done) == 1 and "cannot be checked from here" in left[0]  # another host's: only with force
    assert [lock.key for lock in read_locks(bucket, layout, "acme")] == [other]
    done, left = release("acme", read_locks(bucket, layout, "acme"), True, bucket, no_export)
    assert left == [] and len(done) == 1 and read_locks(bucket, layout, "acme") == []

    stack = f".pulumi/stacks/{PROJECT}/acme.json"
    bucket.put(stack, b'{"version": 3, "checkpoint": {"lat')
    bucket.put(f".pulumi/history/{PROJECT}/acme/acme-100.checkpoint.json", checkpoint("acme", 1), modified=100)
    bucket.put(f".pulumi/history/{PROJECT}/acme/acme-200.checkpoint.json", checkpoint("acme", 2), modified=200)
    bucket.put(f".pulumi/history/{PROJECT}/acme/acme-200.history.json", b"{}", modified=200)
    bucket.put(f".pulumi/history/{PROJECT}/acme/acme-300.checkpoint.json", b"torn", modified=300)
    done = repair_blobs(bucket, layout, "acme")
    assert done == [f"restored the damaged {stack} from Pulumi's copy .pulumi/history/{PROJECT}/acme/"
                    "acme-200.checkpoint.json (what the dead run made after it is adopted by the next `up`)"]
    assert bucket.read(stack) == checkpoint("acme", 2)
    assert repair_blobs(bucket, layout, "acme") == []

    bucket.put(stack, b"")
    bucket.put(f".pulumi/stacks/{PROJECT}/acme.json.bak", checkpoint("acme", 3))
    repair_blobs(bucket, layout, "acme")
    assert bucket.read(stack) == checkpoint("acme", 3)  # the .bak first
    for key in [k for k in bucket.blobs if "/history/" in k or k.endswith(".bak")]:
        bucket.delete(key)
    bucket.put(stack, b"")
    with pytest.raises(RecoverError, match="no intact copy"):
        repair_blobs(bucket, layout, "acme")


def test_a_cloud_kms_secrets_provider_is_recognised(tmp_path):
    StackFile(tmp_path, "kms").save({"secretsprovider": "awskms://alias/fleet?region=eu-west-1", "config": {}})
    StackFile(tmp_path, "vault").save({"secretsprovider": "hashivault://fleet", "config": {}})
    StackFile(tmp_path, "plain").save({"encryptionsalt": "v1:abc", "config": {}})
    StackFile(tmp_path, "named").save({"secretsprovider": "passphrase", "config": {}})
    assert [kms_provider(StackConfig(s, StackFile(tmp_path, s).read()).secrets_provider())
            for s in ("kms", "vault", "plain", "named")] == ["awskms", "hashivault", None, None]
    assert kms_provider(None) is None
