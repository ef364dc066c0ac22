"""Real object-store servers on loopback, for the e2e suite and the benchmarks: S3, Azure Blob, GCS.

Each is what tools/servers.sh installed (pinned; nothing by hand): moto's S3-compatible
server mode (a Python dev dependency), Azurite (npm, in .tools/node) and fake-gcs-server
(built from the Go module proxy into .tools/bin). `with S3Server(tmp) as s3:` starts one
on a free 127.0.0.1 port, waits until it answers, creates the bucket the backend URL
names, and stops it by its pid on exit. Every server is started with the engine's
death signal (`die_with_parent`: PR_SET_PDEATHSIG), so it dies with the process that
started it even when that process is killed: a suite never leaves one running.

`backend_url` is what a partner would `pulumi login` to and `env` the standard
variables the engine (gocloud) and our readers (the official SDKs) take credentials
and endpoints from.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from cloudlink_provider.emulator.server import free_port
from cloudlink_provider.fleet.engine.env import PROJECT_ROOT, die_with_parent

TOOLS = PROJECT_ROOT / ".tools"
BUCKET = "cloudlink-state"
# Azurite's well-known development account (public, documented by Microsoft): not a secret.
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


class ServerMissing(RuntimeError):
    pass


class _Server:
    """One server process on 127.0.0.1:`port`, its output in `root/<name>.log`."""

    name = "server"

    def __init__(self, root: Path):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:  # pragma: no cover - each server's own
        raise NotImplementedError

    def create_bucket(self) -> None:  # pragma: no cover
        raise NotImplementedError

    @property
    def env(self) -> dict[str, str]:  # pragma: no cover
        raise NotImplementedError

    def __enter__(self) -> "_Server":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def start(self, timeout: float = 60) -> None:
        log = open(self.root / f"{self.name}.log", "wb")
        self.process = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.root,
                                        env={**os.environ, **self._server_env()}, preexec_fn=die_with_parent(),
                                        start_new_session=False)
        log.close()
        deadline = time.monotonic() + timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited {self.process.returncode} at start:\n{self.log()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{self.name} did not listen on port {self.port} within {timeout:g}s:\n"
                                       f"{self.log()[-3000:]}") from None
                time.sleep(0.1)
        try:
            self.create_bucket()
        except BaseException:
            self.stop()
            raise

    def _server_env(self) -> dict[str, str]:
        return {}

    def log(self) -> str:
        path = self.root / f"{self.name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        """SIGTERM by pid, SIGKILL after 10 s; always reaped."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None


class S3Server(_Server):
    """moto's server mode: S3 (and KMS, for a cloud secrets provider) at http://127.0.0.1:port."""

    name = "moto"
    region = "us-east-1"

    def command(self) -> list[str]:
        return [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region}

    def backend_url(self, path: str = "") -> str:
        # the v1-era spelling partners have in their CI (the engine translates it): a scheme-less endpoint
        # with disableSSL, and path-style addressing (a loopback address has no bucket subdomains)
        return (f"s3://{BUCKET}{'/' + path if path else ''}?endpoint=127.0.0.1:{self.port}&disableSSL=true"
                f"&s3ForcePathStyle=true&region={self.region}")

    def client(self, service: str = "s3") -> Any:
        import boto3

        return boto3.client(service, endpoint_url=self.endpoint, region_name=self.region,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def create_bucket(self) -> None:
        deadline = time.monotonic() + 30
        while True:  # the port opens before the WSGI app answers
            try:
                self.client().create_bucket(Bucket=BUCKET)
                return
            except Exception:  # noqa: BLE001
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def kms_key(self) -> str:
        """A symmetric KMS key in the server's KMS: an `awskms://` secrets provider URL for it."""
        key = self.client("kms").create_key(Description="cloudlink fleet test")["KeyMetadata"]["KeyId"]
        return f"awskms://{key}?region={self.region}&endpoint={self.endpoint}"


class AzuriteServer(_Server):
    """Azurite's blob service at http://127.0.0.1:port/devstoreaccount1."""

    name = "azurite"

    def command(self) -> list[str]:
        main = TOOLS / "node" / "node_modules" / "azurite" / "dist" / "src" / "blob" / "main.js"
        if not main.is_file():
            raise ServerMissing(f"Azurite is not installed ({main}): run `make setup`")
        return ["node", str(main), "--blobHost", "127.0.0.1", "--blobPort", str(self.port),
                "--silent", "--skipApiVersionCheck", "--loose", "--inMemoryPersistence"]

    @property
    def env(self) -> dict[str, str]:
        # the service endpoint as gocloud reads it: a domain starting 127.0.0.1 puts the account in the path
        return {"AZURE_STORAGE_ACCOUNT": AZURITE_ACCOUNT, "AZURE_STORAGE_KEY": AZURITE_KEY,
                "AZURE_STORAGE_DOMAIN": f"127.0.0.1:{self.port}", "AZURE_STORAGE_PROTOCOL": "http"}

    def backend_url(self, path: str = "") -> str:
        return f"azblob://{BUCKET}{'/' + path if path else ''}"

    def client(self) -> Any:
        from azure.storage.blob import ContainerClient

        return ContainerClient.from_container_url(
            f"http://127.0.0.1:{self.port}/{AZURITE_ACCOUNT}/{BUCKET}",
            credential={"account_name": AZURITE_ACCOUNT, "account_key": AZURITE_KEY})

    def create_bucket(self) -> None:
        self.client().create_container()


class GCSServer(_Server):
    """fake-gcs-server (in memory) at http://127.0.0.1:port, reached through STORAGE_EMULATOR_HOST."""

    name = "fake-gcs-server"

    def command(self) -> list[str]:
        binary = TOOLS / "bin" / "fake-gcs-server"
        if not binary.is_file():
            raise ServerMissing(f"fake-gcs-server is not built ({binary}): run `make setup`")
        return [str(binary), "-scheme", "http", "-host", "127.0.0.1", "-port", str(self.port), "-backend",
                "memory", "-public-host", f"127.0.0.1:{self.port}", "-log-level", "error"]

    @property
    def env(self) -> dict[str, str]:
        # the engine resolves Google credentials before it looks at the emulator (any token will do)
        return {"STORAGE_EMULATOR_HOST": f"127.0.0.1:{self.port}", "GOOGLE_OAUTH_ACCESS_TOKEN": "emulator"}

    def backend_url(self, path: str = "") -> str:
        return f"gs://{BUCKET}{'/' + path if path else ''}"

    def client(self) -> Any:
        from google.auth.credentials import AnonymousCredentials
        from google.cloud import storage

        return storage.Client(project="test", credentials=AnonymousCredentials(),
                              client_options={"api_endpoint": f"http://127.0.0.1:{self.port}"})

    def create_bucket(self) -> None:
        self.client().create_bucket(BUCKET)


SERVERS = {"s3": S3Server, "azblob": AzuriteServer, "gs": GCSServer}
