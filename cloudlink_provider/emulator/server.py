"""Run the emulator: in a background thread (tests, demo) or in the foreground (`cloudlink emulator serve`)."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

from .app import create_app
from .common import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class EmulatorServer:
    """A real uvicorn server on 127.0.0.1, started and stopped from Python."""

    def __init__(self, db_path: str, port: int = 0, settings: Settings | None = None, host: str = "127.0.0.1"):
        self.port = port or free_port()
        self.host = host
        self.app = create_app(db_path, settings)
        config = uvicorn.Config(self.app, host=host, port=self.port, log_level="warning", access_log=False)
        self._server = uvicorn.Server(config)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def store(self):
        return self.app.store

    def start(self) -> "EmulatorServer":
        self._thread = threading.Thread(target=self._server.run, name="cloudlink-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:  # uvicorn flips this once the socket listens
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start on {self.url}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread:
            self._thread.join(timeout=10)
        self.app.store.db.close()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(db_path: str, port: int, host: str = "127.0.0.1") -> None:
    uvicorn.run(create_app(db_path), host=host, port=port, log_level="info")
