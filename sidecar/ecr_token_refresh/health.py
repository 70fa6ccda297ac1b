"""GET /healthz (and the legacy /health): 200 only while every registry's password is unexpired and on schedule."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ecr_token_refresh import contract, schedule
from ecr_token_refresh.status import RegistryStatus

PATHS = contract.HEALTH_PATHS
# A refresh may run this late before the password counts as stale (retries of a failed round happen within it).
MAX_GRACE = timedelta(minutes=5)

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


def serve(port: int, report: Callable[[], Report]) -> ThreadingHTTPServer:
    """Listen on every address (IPv6 and IPv4 when the host has IPv6) and answer from a daemon thread."""
    handler = _handler(report)
    try:
        server: ThreadingHTTPServer = _DualStackServer(("::", port), handler)
    except OSError:
        server = ThreadingHTTPServer(("0.0.0.0", port), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server


class _DualStackServer(ThreadingHTTPServer):
    address_family = socket.AF_INET6

    def server_bind(self) -> None:
        self.socket.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        super().server_bind()


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


def _handler(report: Callable[[], Report]) -> type[BaseHTTPRequestHandler]:
    class HealthHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path.split("?")[0] not in PATHS:
                self._send(HTTPStatus.NOT_FOUND, {"error": f"not found (accepted paths: {', '.join(PATHS)})"})
                return
            self._send(*report())

        def _send(self, code: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode("utf-8")
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            # Probes every few seconds would drown the refresh events.
            pass

    return HealthHandler
