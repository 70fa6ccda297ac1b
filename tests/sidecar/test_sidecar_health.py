"""health: 200 only while every registry holds an unexpired password refreshed on schedule; JSON body per registry."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
from ecr_token_refresh.config import Registry
from ecr_token_refresh.health import Report, assess, serve, state
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


def test_assess_is_200_only_when_every_registry_is_fresh() -> None:
    fresh = refreshed(ago=timedelta(minutes=1))
    stale = refreshed(ago=timedelta(hours=1), registry=STAGING)
    assert assess((fresh,), NOW, INTERVAL)[0] == 200
    assert assess((fresh, stale), NOW, INTERVAL)[0] == 503
    assert assess((fresh, RegistryStatus(STAGING)), NOW, INTERVAL)[0] == 503


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
def server() -> Iterator[tuple[ThreadingHTTPServer, list[Report]]]:
    reports: list[Report] = [(200, {"healthy": True, "registries": []})]
    running = serve(0, lambda: reports[0])
    yield running, reports
    running.shutdown()
    running.server_close()


def get(server: ThreadingHTTPServer, path: str) -> tuple[int, Any]:
    url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


@pytest.mark.parametrize("path", ["/healthz", "/health"])
def test_both_paths_answer_with_the_current_report(server: tuple[ThreadingHTTPServer, list[Report]], path: str) -> None:
    running, reports = server
    assert get(running, path) == (200, {"healthy": True, "registries": []})
    reports[0] = (503, {"healthy": False, "registries": []})
    assert get(running, path) == (503, {"healthy": False, "registries": []})


def test_other_paths_are_404(server: tuple[ThreadingHTTPServer, list[Report]]) -> None:
    running, _ = server
    assert get(running, "/metrics")[0] == 404


def test_the_server_binds_every_interface_not_only_loopback(server: tuple[ThreadingHTTPServer, list[Report]]) -> None:
    # kubelet probes the pod IP, so a loopback-only bind would fail every probe.
    running, _ = server
    assert running.socket.getsockname()[0] in ("::", "0.0.0.0")
    if running.socket.family == socket.AF_INET6:
        assert running.socket.getsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY) == 0


def test_the_server_answers_on_the_hosts_own_address(server: tuple[ThreadingHTTPServer, list[Report]]) -> None:
    running, _ = server
    address = own_ipv4_address()
    if address is None:
        pytest.skip("this host has no non-loopback IPv4 address")
    url = f"http://{address}:{running.server_address[1]}/healthz"
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
