"""health: 200 only while every registry holds an unexpired password refreshed on schedule; JSON body per registry."""

from __future__ import annotations

import json
import socket
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ecr_token_refresh import health, stop
from ecr_token_refresh.config import Registry
from ecr_token_refresh.health import HealthServer, Report, assess, serve, state
from ecr_token_refresh.status import RegistryStatus, Status

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
INTERVAL = timedelta(minutes=30)
PROD = Registry("123456789012", "us-east-1", "/etc/passwords/prod.pass")
STAGING = Registry("210987654321", "eu-west-1", "/etc/passwords/staging.pass")


def refreshed(ago: timedelta, lifetime: timedelta = timedelta(hours=12), registry: Registry = PROD) -> RegistryStatus:
    return RegistryStatus(registry, refreshed_at=NOW - ago, expires_at=NOW - ago + lifetime)


def test_no_password_yet_is_pending() -> None:
    assert state(RegistryStatus(PROD), NOW, INTERVAL) == "pending"


def test_refreshed_within_the_interval_is_fresh() -> None:
    assert state(refreshed(ago=timedelta(minutes=29)), NOW, INTERVAL) == "fresh"


def test_late_by_less_than_the_grace_is_still_fresh() -> None:
    assert state(refreshed(ago=timedelta(minutes=34)), NOW, INTERVAL) == "fresh"


def test_late_by_exactly_the_grace_is_still_fresh() -> None:
    assert state(refreshed(ago=timedelta(minutes=35)), NOW, INTERVAL) == "fresh"


def test_late_by_more_than_five_minutes_is_stale() -> None:
    assert state(refreshed(ago=timedelta(minutes=35, seconds=1)), NOW, INTERVAL) == "stale"


def test_grace_of_a_short_interval_is_one_interval() -> None:
    one_second = timedelta(seconds=1)
    assert state(refreshed(ago=timedelta(seconds=1.9)), NOW, one_second) == "fresh"
    assert state(refreshed(ago=timedelta(seconds=2.1)), NOW, one_second) == "stale"


def test_stale_is_measured_from_early_renewal_when_that_comes_first() -> None:
    # A 2 h token is renewed after 1 h, so with a 6 h interval it is stale 1 h + 5 min after its refresh.
    lifetime = timedelta(hours=2)
    assert state(refreshed(ago=timedelta(minutes=64), lifetime=lifetime), NOW, timedelta(hours=6)) == "fresh"
    assert state(refreshed(ago=timedelta(minutes=66), lifetime=lifetime), NOW, timedelta(hours=6)) == "stale"


def test_an_expired_password_is_expired() -> None:
    assert state(refreshed(ago=timedelta(minutes=20), lifetime=timedelta(minutes=20)), NOW, INTERVAL) == "expired"


def test_past_its_expiry_a_password_is_expired_not_stale() -> None:
    assert state(refreshed(ago=timedelta(minutes=20), lifetime=timedelta(minutes=10)), NOW, INTERVAL) == "expired"


def test_assess_is_200_only_when_every_registry_is_fresh() -> None:
    fresh = refreshed(ago=timedelta(minutes=1))
    stale = refreshed(ago=timedelta(hours=1), registry=STAGING)
    assert assess((fresh,), NOW, INTERVAL)[0] == 200
    assert assess((fresh, stale), NOW, INTERVAL)[0] == 503
    assert assess((fresh, RegistryStatus(STAGING)), NOW, INTERVAL)[0] == 503
    expired = refreshed(ago=timedelta(minutes=20), lifetime=timedelta(minutes=20), registry=STAGING)
    code, body = assess((fresh, expired), NOW, INTERVAL)
    assert (code, body["healthy"]) == (503, False)


def test_body_names_each_registry_with_its_state_and_last_error() -> None:
    status = Status((PROD, STAGING))
    status.succeeded(PROD, NOW - timedelta(minutes=1), NOW + timedelta(hours=11))
    status.failed(STAGING, NOW, "ClientError: AccessDenied")
    code, body = assess(status.snapshot(), NOW, INTERVAL)
    assert code == 503
    assert body == {
        "healthy": False,
        "registries": [
            {
                "registryId": "123456789012",
                "region": "us-east-1",
                "passwordFile": "/etc/passwords/prod.pass",
                "state": "fresh",
                "refreshedAt": "2026-01-01T11:59:00+00:00",
                "expiresAt": "2026-01-01T23:00:00+00:00",
                "lastError": None,
                "lastErrorAt": None,
            },
            {
                "registryId": "210987654321",
                "region": "eu-west-1",
                "passwordFile": "/etc/passwords/staging.pass",
                "state": "pending",
                "refreshedAt": None,
                "expiresAt": None,
                "lastError": "ClientError: AccessDenied",
                "lastErrorAt": "2026-01-01T12:00:00+00:00",
            },
        ],
    }


@pytest.fixture
def server() -> Iterator[tuple[HealthServer, list[Report]]]:
    reports: list[Report] = [(200, {"healthy": True, "registries": []})]
    running = serve(0, lambda: reports[0])
    yield running, reports
    running.close()


def get(server: HealthServer, path: str) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{server.port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("path", ["/healthz", "/health"])
def test_both_paths_answer_with_the_current_report(server: tuple[HealthServer, list[Report]], path: str) -> None:
    running, reports = server
    assert get(running, path) == (200, {"healthy": True, "registries": []})
    reports[0] = (503, {"healthy": False, "registries": []})
    assert get(running, path) == (503, {"healthy": False, "registries": []})


def test_other_paths_are_404(server: tuple[HealthServer, list[Report]]) -> None:
    running, _ = server
    assert get(running, "/metrics")[0] == 404


def test_the_server_binds_every_interface_not_only_loopback(server: tuple[HealthServer, list[Report]]) -> None:
    # kubelet probes the pod IP, so a loopback-only bind would fail every probe.
    running, _ = server
    assert running.socket.getsockname()[0] in ("::", "0.0.0.0")
    if running.socket.family == socket.AF_INET6:
        assert running.socket.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0


def test_the_server_answers_on_the_hosts_own_address(server: tuple[HealthServer, list[Report]]) -> None:
    running, _ = server
    address = own_ipv4_address()
    if address is None:
        pytest.skip("this host has no non-loopback IPv4 address")
    url = f"http://{address}:{running.port}/healthz"
    with urllib.request.urlopen(url, timeout=5) as response:
        assert response.status == 200


def own_ipv4_address() -> str | None:
    """The source address of the default route (connecting a UDP socket sends nothing)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("198.51.100.1", 9))
        except OSError:
            return None
        address = probe.getsockname()[0]
    return None if address.startswith("127.") else address


def exchange(server: HealthServer, request: bytes) -> bytes:
    """Sends raw bytes, returns everything the server sends before it closes."""
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return answer


def test_head_answers_like_get_without_the_body(server: tuple[HealthServer, list[Report]]) -> None:
    running, reports = server
    reports[0] = (503, {"healthy": False, "registries": []})
    got = exchange(running, b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    head = exchange(running, b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    got_headers, got_body = got.split(b"\r\n\r\n", 1)
    assert head == got_headers + b"\r\n\r\n"
    assert got_headers.startswith(b"HTTP/1.1 503 Service Unavailable\r\n")
    assert f"Content-Length: {len(got_body)}".encode() in got_headers
    assert json.loads(got_body) == {"healthy": False, "registries": []}


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /healthz HTTP/1.1\r\n\r\n", b"405 Method Not Allowed"),
        (b"garbage\r\n\r\n", b"400 Bad Request"),
        (b"GET /healthz\r\n\r\n", b"400 Bad Request"),
        (b"GET /healthz HTTP/1.1 extra\r\n\r\n", b"400 Bad Request"),
        (b"GET /healthz?verbose=1 HTTP/1.0\n\n", b"200 OK"),
        (b"GET / HTTP/1.1\r\n\r\n", b"404 Not Found"),
        (b"GET /healthz HTTP/1.1\r\n" + b"X: " + b"y" * 9000 + b"\r\n\r\n", b"431 Request Header Fields Too Large"),
        (b"\xff\xfe\r\n\r\n", b"400 Bad Request"),
    ],
)
def test_every_request_gets_an_answer_and_the_connection_closes(
    server: tuple[HealthServer, list[Report]], request_bytes: bytes, status: bytes
) -> None:
    running, _ = server
    assert exchange(running, request_bytes).startswith(b"HTTP/1.1 " + status + b"\r\n")


def test_a_request_of_exactly_the_limit_is_answered(server: tuple[HealthServer, list[Report]]) -> None:
    running, _ = server
    head = b"GET /healthz HTTP/1.1\r\nX: "
    request = head + b"y" * (health.MAX_REQUEST_BYTES - len(head) - 4) + b"\r\n\r\n"
    assert len(request) == health.MAX_REQUEST_BYTES
    assert exchange(running, request).startswith(b"HTTP/1.1 200 OK\r\n")
    assert exchange(running, request[:-4] + b"y\r\n\r\n").startswith(b"HTTP/1.1 431 ")


def test_a_request_that_never_ends_is_cut_off_at_the_limit(server: tuple[HealthServer, list[Report]]) -> None:
    running, _ = server
    with socket.create_connection(("127.0.0.1", running.port), timeout=5) as connection:
        # Just past the limit, so the server has read all of it when it closes (unread bytes would reset).
        connection.sendall(b"GET /healthz HTTP/1.1\r\nX: " + b"y" * health.MAX_REQUEST_BYTES)
        # Still open on our side, still no end of headers: the server answers once it has read past the limit.
        assert connection.recv(65536).startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")


def test_a_405_names_the_accepted_methods(server: tuple[HealthServer, list[Report]]) -> None:
    running, _ = server
    assert b"\r\nAllow: GET, HEAD\r\n" in exchange(running, b"DELETE /healthz HTTP/1.1\r\n\r\n")


def test_a_report_that_fails_is_a_500_not_a_dead_thread(capfd: pytest.CaptureFixture[str]) -> None:
    def broken() -> Report:
        raise RuntimeError("status unavailable")

    running = serve(0, broken)
    try:
        for _ in range(health.ANSWERING_THREADS + 1):
            answer = exchange(running, b"GET /healthz HTTP/1.1\r\n\r\n")
            assert answer.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
            assert b'{"error": "RuntimeError: status unavailable"}' in answer
    finally:
        running.close()
    assert capfd.readouterr() == ("", "")


def test_silent_and_vanishing_clients_are_cut_off_at_the_deadline_and_print_nothing(
    capfd: pytest.CaptureFixture[str],
) -> None:
    seconds = 0.3
    running = serve(0, lambda: (200, {}), connection_seconds=seconds)
    try:
        # Twice as many silent connections as answering threads: each is closed at its deadline, then the probe.
        silent = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(health.ANSWERING_THREADS * 2)]
        for connection in silent[:2]:
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
            connection.close()  # a reset, not a request
        started = time.monotonic()
        assert get(running, "/healthz") == (200, {})
        assert time.monotonic() - started < 2 * seconds + 1
        for connection in silent[2:]:
            connection.settimeout(5)
            assert connection.recv(1) == b""  # closed by the server
            connection.close()
    finally:
        running.close()
    assert capfd.readouterr() == ("", "")


def test_the_limits_are_the_documented_ones() -> None:
    # sidecar/README.md: one thread accepts, four answer, 64 wait, 2 s per connection, 8 KiB per request.
    assert (health.ANSWERING_THREADS, health.BACKLOG) == (4, 64)
    assert (health.CONNECTION_SECONDS, health.MAX_REQUEST_BYTES) == (2.0, 8192)


def test_a_slow_client_within_its_time_is_answered_and_a_silent_one_cut_off_on_time() -> None:
    running = serve(0, lambda: (200, {}), connection_seconds=0.5)
    try:
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as slow:
            slow.sendall(b"GET /healthz HTTP/1.1\r\n")
            time.sleep(0.15)  # well within its half second
            slow.sendall(b"\r\n")
            assert slow.recv(65536).startswith(b"HTTP/1.1 200 OK\r\n")
        with socket.create_connection(("127.0.0.1", running.port), timeout=5) as silent:
            started = time.monotonic()
            assert silent.recv(1) == b""
            assert 0.4 < time.monotonic() - started < 1.1
    finally:
        running.close()


def test_a_restart_can_bind_the_port_its_predecessor_just_left(server: tuple[HealthServer, list[Report]]) -> None:
    running, _ = server
    port = running.port
    exchange(running, b"GET /healthz HTTP/1.1\r\n\r\n")  # the server closes first: its side waits in TIME_WAIT
    running.close()
    again = serve(port, lambda: (200, {}))
    try:
        assert again.port == port
    finally:
        again.close()


def test_a_flood_of_connections_does_not_add_threads(server: tuple[HealthServer, list[Report]]) -> None:
    running, _ = server
    before = threading.active_count()
    answers: list[bytes] = []
    clients = [
        threading.Thread(target=lambda: answers.append(exchange(running, b"GET /healthz HTTP/1.1\r\n\r\n")))
        for _ in range(40)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=10)
    assert len(answers) == 40
    assert all(answer.startswith(b"HTTP/1.1 200 OK") for answer in answers)
    assert threading.active_count() == before
    # Connections held open without a request: counted while they are open, no thread is started for any of them.
    silent = [socket.create_connection(("127.0.0.1", running.port)) for _ in range(health.ANSWERING_THREADS + 4)]
    try:
        time.sleep(0.2)
        assert threading.active_count() == before
    finally:
        for connection in silent:
            connection.close()


def test_no_server_thread_takes_a_stop_signal(server: tuple[HealthServer, list[Report]]) -> None:
    # The kernel may hand a process's signal to any thread that does not block it; only main can act on it.
    threads = [thread for thread in threading.enumerate() if thread.name.startswith("health")]
    assert len(threads) == health.ANSWERING_THREADS
    # Daemon threads: the process may end while a client holds a connection.
    assert all(thread.daemon for thread in threads)
    for thread in threads:
        status = Path(f"/proc/self/task/{thread.native_id}/status").read_text()
        blocked = int(next(line for line in status.splitlines() if line.startswith("SigBlk:")).split()[1], 16)
        assert all(blocked & (1 << (signum - 1)) for signum in stop.STOP_SIGNALS), thread.name


def test_close_wakes_every_thread_blocked_in_accept() -> None:
    """Each answering thread waits in accept(); one shutdown must wake them all (else close waits 5 s per thread)."""
    running = serve(0, lambda: (200, {}))
    threads = [thread for thread in threading.enumerate() if thread.name.startswith("health")]
    assert len(threads) == health.ANSWERING_THREADS
    started = time.monotonic()
    running.close()
    assert time.monotonic() - started < 2
    assert not any(thread.is_alive() for thread in threads)
