"""A real HTTP receiver on loopback for the notification tests: it records every post and answers by path.

    with Receiver() as hook:
        hook.url("/ok/teams")      # 200, the JSON body recorded
        hook.url("/status/500")    # answers 500 (any status)
        hook.url("/hang")          # never answers while the receiver runs (released when it stops)

`hook.posts` lists (path, headers, parsed JSON body) in arrival order. A thread serves it
(ThreadingHTTPServer on 127.0.0.1, a free port); leaving the `with` releases the hanging
requests, shuts the server down and joins its thread, so nothing outlives the test.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

HANG_LIMIT_S = 60  # a hanging request ends at the latest after this, even if the test forgets to stop


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length)
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw.decode(errors="replace")
        with self.server.lock:
            self.server.posts.append((self.path, dict(self.headers), body))
        if self.path.startswith("/hang"):
            self.server.release.wait(HANG_LIMIT_S)
            return
        route = self.path.split("?", 1)[0]
        status = int(route.split("/")[2]) if route.startswith("/status/") else 200
        payload = b"1" if status == 200 else b'{"error": "receiver told to fail"}'
        self.send_response(status)
        if status == 429:
            self.send_header("retry-after", "0")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.posts: list[tuple[str, dict[str, str], Any]] = []
        self.lock = threading.Lock()
        self.release = threading.Event()


class Receiver:
    def __init__(self) -> None:
        self.server = _Server()
        self.thread = threading.Thread(target=self.server.serve_forever, name="receiver", daemon=True)

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def posts(self) -> list[tuple[str, dict[str, str], Any]]:
        with self.server.lock:
            return list(self.server.posts)

    def bodies(self, path: str) -> list[Any]:
        return [body for p, _, body in self.posts if p == path]

    def __enter__(self) -> "Receiver":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)
        assert not self.thread.is_alive(), "the receiver's thread did not stop"
