"""A DIY backend as a bucket of blobs, the way the engine sees it (gocloud.dev `blob.Bucket`).

Owns the small interface every backend reader here goes through, and its
implementations: `file://` here, the PostgreSQL table in `postgres`, and the
object stores, opened exactly as the engine opens them (pulumi
`pkg/backend/diy/backend.go`, gocloud.dev `blob/s3blob`, `blob/azureblob`,
`blob/gcsblob`, `aws.V2ConfigFromURLParams`, at the versions tools/go.mod pins):

- A key is a `/`-separated path under the backend's root (`.pulumi/stacks/<project>/<stack>.json`);
  for every backend but `file://` the URL's host is the bucket (container) and its
  path a prefix under which every key lives (the engine's `blob.PrefixedBucket` of
  `bucketSubDir`), which each bucket applies itself.
- `s3://bucket/sub?...`: the v1-era `disableSSL` becomes `disable_https` and a
  scheme-less `endpoint` gets `http://`/`https://` (the engine's
  `translateLegacyS3Params`); then `endpoint`, `region`, `profile`,
  `use_path_style`/`s3ForcePathStyle`, `disable_https`, `anonymous`, `accelerate`,
  `dualstack`, `fips`, `request_checksum_calculation`,
  `response_checksum_validation`, `ssetype`, `kmskeyid` (`awssdk`,
  `hostname_immutable` and `rate_limiter_capacity` change nothing a reader
  sees). `role` (assume a role) is not done here: such a backend is
  `UnsupportedBackend` and the caller lets the engine read it. Any other parameter is
  refused, as the engine refuses it. Credentials, region and profile otherwise
  come from the standard AWS environment (boto3 reads it; AWS_REGION as the Go SDK).
- `azblob://container/sub?...`: the service URL from AZURE_STORAGE_ACCOUNT,
  AZURE_STORAGE_DOMAIN, AZURE_STORAGE_PROTOCOL, AZURE_STORAGE_IS_CDN,
  AZURE_STORAGE_IS_LOCAL_EMULATOR (or the account and protocol of
  AZURE_STORAGE_CONNECTION_STRING), overridden by `domain`, `protocol`, `cdn`,
  `localemu`, `storage_account`; a domain starting `localhost`/`127.0.0.1` (Azurite)
  puts the account in the path. Credentials in gocloud's order: AZURE_STORAGE_KEY
  (with the account), AZURE_STORAGE_SAS_TOKEN, the connection string, else
  `DefaultAzureCredential`.
- `gs://bucket/sub?...`: `anonymous`, `access_id`, `private_key_path`,
  `universe_domain` (the first two only sign URLs: nothing to do for a reader;
  `access_id=-` is anonymous). STORAGE_EMULATOR_HOST (`host:port`) points the
  client at an emulator without authentication, as gocloud does; otherwise the
  engine's credentials: GOOGLE_CREDENTIALS, GOOGLE_OAUTH_ACCESS_TOKEN, then
  Google's application default credentials.

`open_bucket(url)` picks the implementation; another scheme raises
`UnsupportedBackend` (callers then use the engine itself: `pulumi stack export`,
the engine's lock messages). A bucket only moves bytes: the layout of what is in
it is layout.py's. Every object-store SDK failure becomes one `BucketError` line
naming the bucket and the operation (never a traceback); secrets in a URL never
reach a message. The object stores also answer `listing(prefix)`: every blob
with its modification time in one listing, which the checkpoint reader takes
once per fleet.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol
from urllib.parse import parse_qs, unquote, urlencode, urlparse

from .errors import StateError
from .postgres import PostgresBucket


class Bucket(Protocol):
    url: str

    def list(self, prefix: str) -> list[str]: ...          # keys under prefix (recursive), sorted
    def read(self, key: str) -> bytes | None: ...          # None when absent
    def write(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...
    def modified(self, key: str) -> float | None: ...      # when the blob was last written; None when absent
    def close(self) -> None: ...


class UnsupportedBackend(StateError):
    """No bucket here reads this backend's scheme."""


def file_backend_dir(url: str) -> Path | None:
    """The directory a `file://` backend URL names (percent-decoded, query dropped, `~` expanded as the
    engine does); None for other backends."""
    parsed = urlparse(url)
    if parsed.scheme != "file":
        return None
    return Path(unquote(parsed.netloc + parsed.path)).expanduser()


class FileBucket:
    """`file://DIR`: each blob a file under DIR (fileblob also keeps `<blob>.attrs` sidecars, listed as blobs)."""

    def __init__(self, url: str, root: Path):
        self.url, self.root = url, root

    def _path(self, key: str) -> Path:
        return self.root / Path(*key.split("/"))

    def list(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/")) if prefix.strip("/") else self.root
        if base.is_file():
            return [prefix]
        if not base.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in base.rglob("*") if p.is_file())

    def read(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return None

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        scratch = path.with_name(path.name + ".cloudlink-write")
        scratch.write_bytes(data)
        os.replace(scratch, path)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def modified(self, key: str) -> float | None:
        try:
            return self._path(key).stat().st_mtime_ns / 1e9
        except OSError:
            return None

    def close(self) -> None:
        pass


def redact_url(url: str) -> str:
    """A backend URL fit for a report: any password replaced by `***`."""
    return re.sub(r"^([a-z0-9+.-]+://[^/:@]*:)[^@/]*@", r"\1***@", url, flags=re.IGNORECASE)


# -- object stores (s3://, azblob://, gs://) ---------------------------------------------------------
MAX_CONNECTIONS = 16  # per bucket: the scan's bounded concurrent reads share these


class BucketError(StateError):
    """An object store cannot be opened or an operation on it failed; one readable line."""


@dataclass(frozen=True)
class Blob:
    """One object of a listing: its key relative to the backend root, and when it was last written."""
    key: str
    modified: float  # seconds since the epoch
    size: int = 0


_RAISE = object()  # _Prefixed._do: a key that is not there is an error for this operation


class _Prefixed:
    """Keys relative to the backend root, the URL's path prepended on the wire (the engine's PrefixedBucket)."""

    scheme = ""

    def __init__(self, url: str):
        self.url = redact_url(url)
        parsed = urlparse(url)
        self.name = parsed.netloc
        if not self.name:
            raise BucketError(f"{self.url}: the URL names no bucket (expected {parsed.scheme}://<bucket>[/<path>])")
        sub = parsed.path.lstrip("/")
        self.prefix = sub + ("/" if sub and not sub.endswith("/") else "")

    def _fail(self, operation: str, key: str, error: BaseException) -> BucketError:
        return BucketError(f"{self.scheme}://{self.name}: {operation} {self.prefix}{key}: {_describe(error)}")

    def _missing(self, error: BaseException) -> bool:  # pragma: no cover - each store's own
        """Whether the SDK's error says the key is not there."""
        raise NotImplementedError

    def _do(self, operation: str, key: str, call: Callable[[], Any], missing: Any = _RAISE) -> Any:
        """`call()`; a key that is not there gives `missing` (unless it is an error for this operation);
        any other failure is a BucketError naming the operation and the key."""
        try:
            return call()
        except Exception as e:  # noqa: BLE001 - every SDK error becomes one line
            if missing is not _RAISE and self._missing(e):
                return missing
            raise self._fail(operation, key, e) from None

    def list(self, prefix: str) -> list[str]:
        return [blob.key for blob in self.listing(prefix)]

    def listing(self, prefix: str) -> list[Blob]:  # pragma: no cover - each store's own
        """Every blob under `prefix` with when it was last written: one listing (paged by the SDK)."""
        raise NotImplementedError

    def close(self) -> None:
        close = getattr(getattr(self, "client", None), "close", None)
        if close is not None:
            try:
                close()
            except Exception:  # noqa: BLE001 - closing a pool that is gone already is not a failure
                pass


def _describe(error: BaseException) -> str:
    """An SDK error as one line: its service error code and message when it has them."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and "Error" in response:  # botocore ClientError
        err = response["Error"]
        return f"{err.get('Code', type(error).__name__)}: {err.get('Message', '')}".rstrip(": ")
    code = getattr(error, "error_code", None) or getattr(error, "code", None)
    message = " ".join(str(getattr(error, "message", "") or error).split())
    first = message.split(" Time:")[0].split("RequestId:")[0].strip()
    return f"{code}: {first[:300]}" if code and str(code) not in first else (first[:300] or type(error).__name__)


def _query(url: str) -> dict[str, str]:
    """Go's `url.Values.Get`: the first value of each parameter."""
    return {k: v[0] for k, v in parse_qs(urlparse(url).query, keep_blank_values=True).items()}


def _bool(name: str, value: str) -> bool:
    """Go's strconv.ParseBool."""
    if value in ("1", "t", "T", "TRUE", "true", "True"):
        return True
    if value in ("0", "f", "F", "FALSE", "false", "False"):
        return False
    raise BucketError(f"invalid value for query parameter {name!r}: {value!r} is not a boolean")


# -- s3:// ------------------------------------------------------------------------------------------
S3_PARAMS = {"endpoint", "region", "profile", "use_path_style", "s3ForcePathStyle", "disable_https", "anonymous",
             "accelerate", "dualstack", "fips", "request_checksum_calculation", "response_checksum_validation",
             "ssetype", "kmskeyid", "awssdk", "hostname_immutable", "rate_limiter_capacity", "role"}


def translate_legacy_s3(url: str) -> str:
    """The engine's translateLegacyS3Params: `disableSSL` -> `disable_https`; a scheme-less endpoint gets
    one; with an endpoint, `request_checksum_calculation=when_required` unless configured."""
    parsed = urlparse(url)
    query = parse_qs(parsed.query, keep_blank_values=True)
    changed = False
    disable_ssl = False
    if "disableSSL" in query:
        disable_ssl = _bool("disableSSL", query.pop("disableSSL")[-1])
        query["disable_https"] = ["true" if disable_ssl else "false"]
        changed = True
    endpoint = (query.get("endpoint") or [""])[0]
    if endpoint:
        if "://" not in endpoint:
            query["endpoint"] = [("http" if disable_ssl else "https") + "://" + endpoint]
            changed = True
        if not (query.get("request_checksum_calculation") or [""])[0] and \
                not os.environ.get("AWS_REQUEST_CHECKSUM_CALCULATION"):
            query["request_checksum_calculation"] = ["when_required"]
            changed = True
    if not changed:
        return url
    return parsed._replace(query=urlencode(sorted(query.items()), doseq=True)).geturl()


class S3Bucket(_Prefixed):
    scheme = "s3"

    def __init__(self, url: str):
        super().__init__(url)
        import boto3
        from botocore import UNSIGNED
        from botocore.config import Config

        q = _query(translate_legacy_s3(url))
        unknown = sorted(set(q) - S3_PARAMS)
        if unknown:
            raise BucketError(f"{self.url}: unknown query parameter {unknown[0]!r} (the engine refuses it too)")
        if q.get("role"):
            raise UnsupportedBackend(f"{self.url}: assuming a role (`role=`) is left to the engine")
        s3: dict[str, Any] = {}
        for key in ("use_path_style", "s3ForcePathStyle"):
            if q.get(key):
                s3["addressing_style"] = "path" if _bool(key, q[key]) else "virtual"
        if q.get("accelerate") and _bool("accelerate", q["accelerate"]):
            s3["use_accelerate_endpoint"] = True
        options: dict[str, Any] = {"s3": s3, "max_pool_connections": MAX_CONNECTIONS,
                                   "retries": {"mode": "standard", "max_attempts": 3},
                                   "connect_timeout": 10, "read_timeout": 60}
        if q.get("anonymous") and _bool("anonymous", q["anonymous"]):
            options["signature_version"] = UNSIGNED
        if q.get("dualstack") and _bool("dualstack", q["dualstack"]):
            options["use_dualstack_endpoint"] = True
        if q.get("fips") and _bool("fips", q["fips"]):
            options["use_fips_endpoint"] = True
        for key in ("request_checksum_calculation", "response_checksum_validation"):
            if q.get(key):
                options[key] = q[key]
        self._put: dict[str, str] = {}
        if q.get("ssetype"):
            self._put["ServerSideEncryption"] = q["ssetype"]
        if q.get("kmskeyid"):
            self._put["SSEKMSKeyId"] = q["kmskeyid"]
        region = q.get("region") or os.environ.get("AWS_REGION") or None  # the Go SDK reads AWS_REGION too
        try:
            session = boto3.session.Session(profile_name=q.get("profile") or None, region_name=region)
            self.client = session.client(
                "s3", endpoint_url=q.get("endpoint") or None, config=Config(**options),
                use_ssl=not (q.get("disable_https") and _bool("disable_https", q["disable_https"])))
        except BucketError:
            raise
        except Exception as e:  # noqa: BLE001 - boto3's profile/region/config errors share no base worth naming
            raise BucketError(f"{self.url}: cannot open the bucket: {_describe(e)}") from None

    def listing(self, prefix: str) -> list[Blob]:
        found = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name,
                                                                              Prefix=self.prefix + prefix):
                for obj in page.get("Contents") or []:
                    found.append(Blob(obj["Key"][len(self.prefix):], obj["LastModified"].timestamp(),
                                      int(obj.get("Size") or 0)))
        except Exception as e:  # noqa: BLE001
            raise self._fail("list", prefix, e) from None
        return found

    def _missing(self, error: BaseException) -> bool:
        return _code(error) in ("NoSuchKey", "404", "NotFound")

    def read(self, key: str) -> bytes | None:
        return self._do("read", key, lambda: self.client.get_object(Bucket=self.name, Key=self.prefix + key)
                        ["Body"].read(), missing=None)

    def modified(self, key: str) -> float | None:
        return self._do("stat", key, lambda: self.client.head_object(Bucket=self.name, Key=self.prefix + key)
                        ["LastModified"].timestamp(), missing=None)

    def write(self, key: str, data: bytes) -> None:
        self._do("write", key, lambda: self.client.put_object(Bucket=self.name, Key=self.prefix + key, Body=data,
                                                              **self._put))

    def delete(self, key: str) -> None:
        self._do("delete", key, lambda: self.client.delete_object(Bucket=self.name, Key=self.prefix + key),
                 missing=None)


def _code(error: BaseException) -> str:
    response = getattr(error, "response", None)
    if isinstance(response, dict):
        return str((response.get("Error") or {}).get("Code", ""))
    return str(getattr(error, "error_code", "") or getattr(error, "code", "") or "")


# -- azblob:// --------------------------------------------------------------------------------------
AZURE_PARAMS = {"domain", "protocol", "cdn", "localemu", "storage_account"}


def azure_service_url(query: dict[str, str], env: dict[str, str]) -> tuple[str, str]:
    """(service URL, account) as gocloud's NewDefaultServiceURLOptions + withOverrides + NewServiceURL build it."""
    account = env.get("AZURE_STORAGE_ACCOUNT", "")
    protocol = env.get("AZURE_STORAGE_PROTOCOL", "")
    connection = env.get("AZURE_STORAGE_CONNECTION_STRING") or env.get("AZURE_STORAGEBLOB_CONNECTIONSTRING") or ""
    for part in connection.split(";"):
        keyval = part.split("=")
        if len(keyval) == 2:
            if not account and keyval[0] == "AccountName":
                account = keyval[1]
            elif not protocol and keyval[0] == "DefaultEndpointsProtocol":
                protocol = keyval[1]
    domain = env.get("AZURE_STORAGE_DOMAIN", "")
    cdn = env.get("AZURE_STORAGE_IS_CDN", "").lower() in ("1", "t", "true")
    emulator = env.get("AZURE_STORAGE_IS_LOCAL_EMULATOR", "").lower() in ("1", "t", "true")
    for key, value in query.items():
        if key not in AZURE_PARAMS:
            raise BucketError(f"unknown query parameter {key!r} (the engine refuses it too)")
        if key == "domain":
            domain = value
        elif key == "protocol":
            protocol = value
        elif key == "cdn":
            cdn = _bool(key, value)
        elif key == "localemu":
            emulator = _bool(key, value)
        else:
            account = value
    if not account:
        raise BucketError("no storage account: set AZURE_STORAGE_ACCOUNT (or `storage_account=` in the URL)")
    domain = domain or "blob.core.windows.net"
    protocol = protocol or "https"
    if protocol not in ("http", "https"):
        raise BucketError(f"invalid protocol {protocol!r}")
    if domain.startswith(("127.0.0.1", "localhost")) or emulator:
        service = f"{protocol}://{domain}/{account}"
    elif cdn:
        service = f"{protocol}://{domain}"
    else:
        service = f"{protocol}://{account}.{domain}"
    return service, account


class AzureBucket(_Prefixed):
    scheme = "azblob"

    def __init__(self, url: str):
        super().__init__(url)
        from azure.storage.blob import ContainerClient

        env = dict(os.environ)
        try:
            service, account = azure_service_url(_query(url), env)
        except BucketError as e:
            raise BucketError(f"{self.url}: {e}") from None
        key, sas = env.get("AZURE_STORAGE_KEY", ""), env.get("AZURE_STORAGE_SAS_TOKEN", "")
        connection = env.get("AZURE_STORAGE_CONNECTION_STRING") or env.get("AZURE_STORAGEBLOB_CONNECTIONSTRING")
        options = {"connection_timeout": 10, "read_timeout": 60}
        container_url = f"{service.rstrip('/')}/{self.name}"
        try:
            if env.get("AZURE_STORAGE_ACCOUNT") and key:
                self.client = ContainerClient.from_container_url(
                    container_url, credential={"account_name": env["AZURE_STORAGE_ACCOUNT"], "account_key": key},
                    **options)
            elif sas:
                self.client = ContainerClient.from_container_url(f"{container_url}?{sas.lstrip('?')}", **options)
            elif connection:
                self.client = ContainerClient.from_connection_string(connection, self.name, **options)
            else:
                from azure.identity import DefaultAzureCredential

                self.client = ContainerClient.from_container_url(container_url, credential=DefaultAzureCredential(),
                                                                 **options)
        except Exception as e:  # noqa: BLE001
            raise BucketError(f"{self.url}: cannot open the container: {_describe(e)}") from None

    def listing(self, prefix: str) -> list[Blob]:
        try:
            return [Blob(b.name[len(self.prefix):], b.last_modified.timestamp(), int(b.size or 0))
                    for b in self.client.list_blobs(name_starts_with=self.prefix + prefix)]
        except Exception as e:  # noqa: BLE001
            raise self._fail("list", prefix, e) from None

    def _missing(self, error: BaseException) -> bool:
        from azure.core.exceptions import ResourceNotFoundError

        return isinstance(error, ResourceNotFoundError)

    def read(self, key: str) -> bytes | None:
        return self._do("read", key, lambda: self.client.download_blob(self.prefix + key).readall(), missing=None)

    def modified(self, key: str) -> float | None:
        return self._do("stat", key, lambda: self.client.get_blob_client(self.prefix + key).get_blob_properties()
                        .last_modified.timestamp(), missing=None)

    def write(self, key: str, data: bytes) -> None:
        self._do("write", key, lambda: self.client.upload_blob(self.prefix + key, data, overwrite=True))

    def delete(self, key: str) -> None:
        self._do("delete", key, lambda: self.client.delete_blob(self.prefix + key), missing=None)


# -- gs:// ------------------------------------------------------------------------------------------
GCS_PARAMS = {"access_id", "private_key_path", "anonymous", "universe_domain"}


class GCSBucket(_Prefixed):
    scheme = "gs"

    def __init__(self, url: str):
        super().__init__(url)
        import warnings

        with warnings.catch_warnings():  # google.api_core's notice about Python 3.11's end of life: not the partner's
            warnings.filterwarnings("ignore", "You are using a Python version", FutureWarning)
            from google.auth.credentials import AnonymousCredentials
            from google.cloud import storage

        q = _query(url)
        unknown = sorted(set(q) - GCS_PARAMS)
        if unknown:
            raise BucketError(f"{self.url}: invalid query parameter {unknown[0]!r} (the engine refuses it too)")
        anonymous = bool(q.get("anonymous")) and _bool("anonymous", q["anonymous"]) or q.get("access_id") == "-"
        emulator = os.environ.get("STORAGE_EMULATOR_HOST", "")
        try:
            if emulator:  # gocloud: http://<host>/storage/v1/, no authentication
                endpoint = emulator if "://" in emulator else "http://" + emulator
                self.client = storage.Client(project="my-project-id", credentials=AnonymousCredentials(),
                                             client_options={"api_endpoint": endpoint})
            elif anonymous:
                self.client = storage.Client.create_anonymous_client()
            else:
                options = {"universe_domain": q["universe_domain"]} if q.get("universe_domain") else None
                self.client = storage.Client(credentials=_google_credentials(), client_options=options)
        except Exception as e:  # noqa: BLE001 - google.auth's DefaultCredentialsError and friends
            raise BucketError(f"{self.url}: cannot open the bucket: {_describe(e)}") from None
        self.bucket = self.client.bucket(self.name)

    def listing(self, prefix: str) -> list[Blob]:
        try:
            return [Blob(b.name[len(self.prefix):], b.updated.timestamp() if b.updated else 0.0, int(b.size or 0))
                    for b in self.client.list_blobs(self.bucket, prefix=self.prefix + prefix)]
        except Exception as e:  # noqa: BLE001
            raise self._fail("list", prefix, e) from None

    def _missing(self, error: BaseException) -> bool:
        from google.api_core.exceptions import NotFound

        return isinstance(error, NotFound)

    def read(self, key: str) -> bytes | None:
        return self._do("read", key, lambda: self.bucket.blob(self.prefix + key).download_as_bytes(), missing=None)

    def modified(self, key: str) -> float | None:
        blob = self._do("stat", key, lambda: self.bucket.get_blob(self.prefix + key))  # None: not there
        return None if blob is None else (blob.updated.timestamp() if blob.updated else 0.0)

    def write(self, key: str, data: bytes) -> None:
        self._do("write", key, lambda: self.bucket.blob(self.prefix + key).upload_from_string(data))

    def delete(self, key: str) -> None:
        self._do("delete", key, lambda: self.bucket.blob(self.prefix + key).delete(), missing=None)


def _google_credentials() -> Any:
    """The engine's order (pulumi `authhelpers.ResolveGoogleCredentials`): GOOGLE_CREDENTIALS (a credentials
    JSON document), GOOGLE_OAUTH_ACCESS_TOKEN, then the application default credentials."""
    import json

    import google.auth
    from google.oauth2.credentials import Credentials

    scopes = ["https://www.googleapis.com/auth/devstorage.read_write"]
    if os.environ.get("GOOGLE_CREDENTIALS"):
        try:
            info = json.loads(os.environ["GOOGLE_CREDENTIALS"])
        except ValueError:
            raise BucketError("GOOGLE_CREDENTIALS is not a credentials JSON document") from None
        return google.auth.load_credentials_from_dict(info, scopes=scopes)[0]
    if os.environ.get("GOOGLE_OAUTH_ACCESS_TOKEN"):
        return Credentials(token=os.environ["GOOGLE_OAUTH_ACCESS_TOKEN"])
    return google.auth.default(scopes=scopes)[0]


OBJECT_STORES: dict[str, type[_Prefixed]] = {"s3": S3Bucket, "azblob": AzureBucket, "gs": GCSBucket}



def open_bucket(url: str) -> Bucket:
    """The bucket for a backend URL; `UnsupportedBackend` for a scheme no bucket here reads."""
    root = file_backend_dir(url)
    if root is not None:
        return FileBucket(url, root)
    if urlparse(url).scheme in ("postgres", "postgresql"):
        return PostgresBucket(url)
    kind = OBJECT_STORES.get(urlparse(url).scheme)
    if kind is not None:
        return kind(url)
    raise UnsupportedBackend(f"no native reader for {urlparse(url).scheme}:// backends")
