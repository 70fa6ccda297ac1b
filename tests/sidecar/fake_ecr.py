"""A tiny ECR endpoint on loopback whose answer each region chooses: a good one, a raw body, silence or a trickle.

The sidecar finds it through AWS_ENDPOINT_URL, like moto; the region comes from the request's credential scope.
"""

from __future__ import annotations

import base64
import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

TRICKLE_SECONDS = 0.2


def fake_password(region: str) -> str:
    return f"pw-for-{region}"


def good_answer(region: str, expires_at: Any = None) -> dict[str, Any]:
    token = base64.b64encode(f"AWS:{fake_password(region)}".encode()).decode()
    entry: dict[str, Any] = {"authorizationToken": token, "proxyEndpoint": f"https://1.dkr.ecr.{region}.amazonaws.com"}
    entry["expiresAt"] = time.time() + 12 * 3600 if expires_at is None else expires_at
    return {"authorizationData": [entry]}


class FakeEcr:
    """behaviours[region]: "ok", "hang", "trickle", or a dict/str sent as the JSON body."""

    def __init__(self, behaviours: dict[str, Any]) -> None:
        self.behaviours = behaviours
        self.calls: list[str] = []
        self.closing = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                region = self.headers.get("Authorization", "").split("Credential=")[1].split("/")[2]
                fake.calls.append(region)
                behaviour = fake.behaviours.get(region, "ok")
                if behaviour == "hang":
                    fake.closing.wait()
                elif behaviour == "trickle":
                    self._trickle()
                else:
                    self._send(good_answer(region) if behaviour == "ok" else behaviour)

            def _trickle(self) -> None:
                # Never idle for longer than botocore's read timeout, never done.
                self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not fake.closing.wait(TRICKLE_SECONDS):
                    self.wfile.write(b"a")
                    self.wfile.flush()

            def _send(self, body: Any) -> None:
                payload = (body if isinstance(body, str) else json.dumps(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def handle(self) -> None:
                # The sidecar hangs up on silence and trickles: expected, nothing to report.
                with contextlib.suppress(OSError):
                    super().handle()

        return Handler

    def start(self) -> None:
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.closing.set()
        self._server.shutdown()
        self._server.server_close()


@contextmanager
def fake_ecr(behaviours: dict[str, Any]) -> Iterator[FakeEcr]:
    server = FakeEcr(behaviours)
    server.start()
    try:
        yield server
    finally:
        server.stop()
