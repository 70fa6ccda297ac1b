"""GET or HEAD /healthz (and the legacy /health): 200 only while every registry's password is fresh.

The server is small on purpose: a fixed few threads each accept a connection and answer it (more connections wait
in the listen backlog), each connection has a few seconds in all to send its request and take the answer, and
nothing it does can print a traceback. Idle, every thread blocks
without a timeout: no wake-ups between probes.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any

from ecr_token_refresh import contract, schedule, stop
from ecr_token_refresh.status import RegistryStatus

PATHS = contract.HEALTH_PATHS
# A refresh may run this late before the password counts as stale (retries of a failed round happen within it).
MAX_GRACE = timedelta(minutes=5)
# Connections answered at once, one per thread; more wait in the listen backlog, at most BACKLOG of them.
ANSWERING_THREADS = 4
BACKLOG = 64
# Reading the request and writing the answer together; a probe needs milliseconds.
CONNECTION_SECONDS = 2.0
MAX_REQUEST_BYTES = 8192

Report = tuple[int, dict[str, Any]]


def assess(statuses: tuple[RegistryStatus, ...], now: datetime, interval: timedelta) -> Report:
    registries = [_registry_report(entry, now, interval) for entry in statuses]
    healthy = all(entry["state"] == "fresh" for entry in registries)
    code = HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE
    return code, {"healthy": healthy, "registries": registries}


def state(entry: RegistryStatus, now: datetime, interval: timedelta) -> str:
    """pending (no password yet), expired, stale (not refreshed on schedule) or fresh."""
    if entry.refreshed_at is None or entry.expires_at is None:
        return "pending"
    if now >= entry.expires_at:
        return "expired"
    due = min(entry.refreshed_at + interval, schedule.renewal_time(entry.refreshed_at, entry.expires_at))
    if now > due + min(interval, MAX_GRACE):
        return "stale"
    return "fresh"


def serve(port: int, report: Callable[[], Report], connection_seconds: float = CONNECTION_SECONDS) -> HealthServer:
    """Listen on every address (IPv6 and IPv4 when the host has IPv6) and answer from daemon threads."""
    return HealthServer(_listening_socket(port), report, connection_seconds)


class HealthServer:
    def __init__(self, listening: socket.socket, report: Callable[[], Report], connection_seconds: float) -> None:
        self.socket = listening
        self.port: int = listening.getsockname()[1]
        self._report = report
        self._connection_seconds = connection_seconds
        self._closing = threading.Event()
        # Each thread accepts and answers in turn, so no hand-over between threads costs a wake-up per probe.
        self._threads = [
            threading.Thread(target=self._accept_and_answer, name=f"health {n}", daemon=True)
            for n in range(ANSWERING_THREADS)
        ]
        for thread in self._threads:
            stop.start_deaf(thread)

    def close(self) -> None:
        """Stop accepting (shutdown wakes every blocked accept), let answers in progress finish, close the socket."""
        self._closing.set()
        with contextlib.suppress(OSError):
            self.socket.shutdown(socket.SHUT_RDWR)
        for thread in self._threads:
            thread.join(timeout=5)
        self.socket.close()

    def _accept_and_answer(self) -> None:
        while True:
            try:
                connection, _ = self.socket.accept()
            except OSError:
                if self._closing.is_set():
                    return
                # ECONNABORTED, EMFILE...: the next connection may do; the pause keeps a lasting error from spinning.
                time.sleep(0.1)
                continue
            with connection:
                _answer(connection, self._report, self._connection_seconds)


def _listening_socket(port: int) -> socket.socket:
    try:
        listening = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        listening.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        address: tuple[str, int] = ("::", port)
    except OSError:
        listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        address = ("0.0.0.0", port)
    try:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listening.bind(address)
        listening.listen(BACKLOG)
    except OSError:
        listening.close()
        raise
    return listening


def _answer(connection: socket.socket, report: Callable[[], Report], seconds: float) -> None:
    """One request, one answer, then close. Timeouts and resets end it quietly: there is nobody left to tell."""
    deadline = time.monotonic() + seconds
    try:
        request = _read_request(connection, deadline)
        if request is None:
            return
        code, headers, body = _response(request, report)
        connection.settimeout(max(0.001, deadline - time.monotonic()))
        connection.sendall(_encode(code, headers, body))
    # OSError above all (timeouts, resets); anything else must not end this answering thread either.
    except Exception:
        pass


def _read_request(connection: socket.socket, deadline: float) -> bytes | None:
    """The request line and headers (or the first MAX_REQUEST_BYTES); None if the client closed first."""
    received = b""
    while b"\r\n\r\n" not in received and b"\n\n" not in received and len(received) <= MAX_REQUEST_BYTES:
        connection.settimeout(max(0.001, deadline - time.monotonic()))
        chunk = connection.recv(4096)
        if not chunk:
            return None
        received += chunk
    return received


def _response(request: bytes, report: Callable[[], Report]) -> tuple[int, dict[str, str], bytes]:
    if len(request) > MAX_REQUEST_BYTES:
        return _error(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"request over {MAX_REQUEST_BYTES} bytes")
    parts = request.split(b"\n", 1)[0].rstrip(b"\r").split(b" ")
    if len(parts) != 3 or not parts[2].startswith(b"HTTP/1."):
        return _error(HTTPStatus.BAD_REQUEST, "not an HTTP/1.x request line")
    method, target = parts[0], parts[1].split(b"?", 1)[0]
    if method not in (b"GET", b"HEAD"):
        code, headers, body = _error(HTTPStatus.METHOD_NOT_ALLOWED, "accepted methods: GET, HEAD")
        return code, headers | {"Allow": "GET, HEAD"}, body
    if target.decode("latin-1") not in PATHS:
        return _error(HTTPStatus.NOT_FOUND, f"not found (accepted paths: {', '.join(PATHS)})")
    try:
        code, document = report()
    except Exception as error:
        return _error(HTTPStatus.INTERNAL_SERVER_ERROR, f"{type(error).__name__}: {error}")
    body = json.dumps(document).encode("utf-8")
    # HEAD: the same status and headers as GET, without the body.
    return code, {"Content-Length": str(len(body))}, b"" if method == b"HEAD" else body


def _error(code: HTTPStatus, message: str) -> tuple[int, dict[str, str], bytes]:
    body = json.dumps({"error": message}).encode("utf-8")
    return code, {"Content-Length": str(len(body))}, body


def _encode(code: int, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"HTTP/1.1 {code} {HTTPStatus(code).phrase}", "Content-Type: application/json", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def _registry_report(entry: RegistryStatus, now: datetime, interval: timedelta) -> dict[str, Any]:
    return {
        "registryId": entry.registry.registry_id,
        "region": entry.registry.region,
        "passwordFile": entry.registry.password_file,
        "state": state(entry, now, interval),
        "refreshedAt": _iso(entry.refreshed_at),
        "expiresAt": _iso(entry.expires_at),
        "lastError": entry.last_error,
        "lastErrorAt": _iso(entry.last_error_at),
    }


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()
