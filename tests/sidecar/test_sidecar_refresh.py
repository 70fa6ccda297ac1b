"""refresh: one call per region, entries mapped by proxyEndpoint, failures keep the last good file, the loop backs off.

The ECR client, the clock and randomness are passed in; nothing is patched and nothing sleeps.
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from ecr_token_refresh.config import Config, Registry
from ecr_token_refresh.log import JsonLog
from ecr_token_refresh.refresh import Clock, batches, refresh_forever, refresh_round
from ecr_token_refresh.status import Status

START = datetime(2026, 1, 1, tzinfo=UTC)
INTERVAL = timedelta(minutes=30)


class FakeEcr:
    """Answers like ECR: one entry per requested registryId, proxyEndpoint naming it."""

    def __init__(self, region: str, *, expires_at: datetime | None = None, fail: Exception | None = None) -> None:
        self.region = region
        self.expires_at = expires_at
        self.fail = fail
        self.omit: set[str] = set()
        self.calls: list[list[str]] = []

    def get_authorization_token(self, **kwargs: Any) -> Mapping[str, Any]:
        ids = kwargs["registryIds"]
        self.calls.append(list(ids))
        if self.fail:
            raise self.fail
        suffix = ".cn" if self.region.startswith("cn-") else ""
        entries = [
            {
                "authorizationToken": base64.b64encode(f"AWS:{password(registry_id)}".encode()).decode(),
                "expiresAt": self.expires_at,
                "proxyEndpoint": f"https://{registry_id}.dkr.ecr.{self.region}.amazonaws.com{suffix}",
            }
            for registry_id in ids
            if registry_id not in self.omit
        ]
        return {"authorizationData": list(reversed(entries))}


class FakeClock:
    """Advances only when the loop sleeps; stops the loop after a number of sleeps."""

    def __init__(self, sleeps_before_stop: int) -> None:
        self.time = START
        self.sleeps: list[float] = []
        self.sleeps_before_stop = sleeps_before_stop

    def now(self) -> datetime:
        return self.time

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if len(self.sleeps) >= self.sleeps_before_stop:
            raise StopLoop
        self.time += timedelta(seconds=seconds)


class StopLoop(Exception):
    pass


def password(registry_id: str) -> str:
    return f"pw-for-{registry_id}"


def registry(tmp_path: Path, registry_id: str, region: str) -> Registry:
    return Registry(registry_id, region, str(tmp_path / "passwords" / f"{registry_id}-{region}.pass"))


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def run_round(config: Config, clients: Mapping[str, FakeEcr]) -> tuple[bool, Status, io.StringIO]:
    status = Status(config.registries)
    stream = io.StringIO()
    ok = refresh_round(config, clients, status, JsonLog(stream, lambda: START), lambda: START)
    return ok, status, stream


def test_one_call_per_region_and_each_file_holds_its_registrys_password(tmp_path: Path) -> None:
    registries = (
        registry(tmp_path, "111111111111", "us-east-1"),
        registry(tmp_path, "222222222222", "eu-west-1"),
        registry(tmp_path, "012345678901", "us-east-1"),
    )
    clients = {"us-east-1": FakeEcr("us-east-1"), "eu-west-1": FakeEcr("eu-west-1")}
    ok, _, _ = run_round(Config(INTERVAL, registries), clients)
    assert ok
    assert clients["us-east-1"].calls == [["111111111111", "012345678901"]]
    assert clients["eu-west-1"].calls == [["222222222222"]]
    for entry in registries:
        assert Path(entry.password_file).read_text() == password(entry.registry_id)


def test_china_endpoints_map_too(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "cn-north-1")
    ok, _, _ = run_round(Config(INTERVAL, (entry,)), {"cn-north-1": FakeEcr("cn-north-1")})
    assert ok
    assert Path(entry.password_file).read_text() == password("111111111111")


def test_two_files_for_one_registry_share_one_requested_id(tmp_path: Path) -> None:
    first = registry(tmp_path, "111111111111", "us-east-1")
    second = Registry(first.registry_id, first.region, first.password_file + ".copy")
    client = FakeEcr("us-east-1")
    ok, _, _ = run_round(Config(INTERVAL, (first, second)), {"us-east-1": client})
    assert ok
    assert client.calls == [["111111111111"]]
    assert Path(second.password_file).read_text() == password("111111111111")


def test_a_region_with_more_than_ten_registries_is_split_into_calls_of_ten(tmp_path: Path) -> None:
    registries = tuple(registry(tmp_path, f"{n:012d}", "us-east-1") for n in range(23))
    assert [len(batch.registry_ids) for batch in batches(registries)] == [10, 10, 3]
    client = FakeEcr("us-east-1")
    ok, _, _ = run_round(Config(INTERVAL, registries), {"us-east-1": client})
    assert ok
    assert [len(call) for call in client.calls] == [10, 10, 3]


def test_a_failed_region_keeps_its_last_good_file_and_the_other_region_refreshes(tmp_path: Path) -> None:
    failing = registry(tmp_path, "111111111111", "us-east-1")
    working = registry(tmp_path, "222222222222", "eu-west-1")
    Path(failing.password_file).parent.mkdir(parents=True)
    Path(failing.password_file).write_text("last-good")
    clients = {
        "us-east-1": FakeEcr("us-east-1", fail=ConnectionError("endpoint unreachable")),
        "eu-west-1": FakeEcr("eu-west-1"),
    }
    ok, status, stream = run_round(Config(INTERVAL, (failing, working)), clients)
    assert not ok
    assert Path(failing.password_file).read_text() == "last-good"
    assert Path(working.password_file).read_text() == password("222222222222")
    failed, succeeded = status.snapshot()
    assert failed.last_error == "ConnectionError: endpoint unreachable"
    assert failed.refreshed_at is None
    assert succeeded.refreshed_at == START
    errors = [line for line in log_lines(stream) if line["level"] == "error"]
    assert errors == [
        {
            "time": START.isoformat(timespec="milliseconds"),
            "level": "error",
            "event": "get_authorization_token_failed",
            "region": "us-east-1",
            "registryIds": ["111111111111"],
            "error": "ConnectionError: endpoint unreachable",
        }
    ]


def test_a_registry_missing_from_an_answer_with_entries_gets_that_calls_token_and_a_warning(tmp_path: Path) -> None:
    # registryIds is deprecated: the token is the principal's and opens every registry it may read in the region.
    answered = registry(tmp_path, "222222222222", "us-east-1")
    missing = registry(tmp_path, "111111111111", "us-east-1")
    client = FakeEcr("us-east-1", expires_at=START + timedelta(hours=12))
    client.omit.add("111111111111")
    ok, status, stream = run_round(Config(INTERVAL, (answered, missing)), {"us-east-1": client})
    assert ok
    assert client.calls == [["222222222222", "111111111111"]]
    assert Path(answered.password_file).read_text() == password("222222222222")
    assert Path(missing.password_file).read_text() == password("222222222222")
    assert [entry.refreshed_at for entry in status.snapshot()] == [START, START]
    warnings = [line for line in log_lines(stream) if line["level"] == "warning"]
    assert [(line["event"], line["registryId"], line["usedEntryOf"]) for line in warnings] == [
        ("authorization_data_missing", "111111111111", "222222222222")
    ]
    token = base64.b64encode(f"AWS:{password('222222222222')}".encode()).decode()
    assert password("222222222222") not in stream.getvalue()
    assert token not in stream.getvalue()


def test_an_answer_without_entries_fails_its_registries_and_keeps_their_files(tmp_path: Path) -> None:
    first = registry(tmp_path, "111111111111", "us-east-1")
    second = registry(tmp_path, "222222222222", "us-east-1")
    Path(first.password_file).parent.mkdir(parents=True)
    Path(first.password_file).write_text("last-good")
    client = FakeEcr("us-east-1")
    client.omit.update({"111111111111", "222222222222"})
    ok, status, _ = run_round(Config(INTERVAL, (first, second)), {"us-east-1": client})
    assert not ok
    assert Path(first.password_file).read_text() == "last-good"
    assert not Path(second.password_file).exists()
    assert [entry.last_error for entry in status.snapshot()] == [
        "no authorizationData in the answer for registry 111111111111",
        "no authorizationData in the answer for registry 222222222222",
    ]


def test_a_malformed_token_fails_without_quoting_it(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")

    class GarbledEcr(FakeEcr):
        def get_authorization_token(self, **kwargs: Any) -> Mapping[str, Any]:
            return {"authorizationData": [{"authorizationToken": "not-base64!", "proxyEndpoint": "https://x"}]}

    ok, status, stream = run_round(Config(INTERVAL, (entry,)), {"us-east-1": GarbledEcr("us-east-1")})
    assert not ok
    assert "not-base64!" not in stream.getvalue()
    assert status.snapshot()[0].last_error == "ValueError: authorizationToken is not base64 of 'user:password'"


def test_logs_never_contain_a_password_or_token(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    _, _, stream = run_round(Config(INTERVAL, (entry,)), {"us-east-1": FakeEcr("us-east-1")})
    token = base64.b64encode(f"AWS:{password('111111111111')}".encode()).decode()
    assert "password_written" in stream.getvalue()
    assert password("111111111111") not in stream.getvalue()
    assert token not in stream.getvalue()


@pytest.mark.parametrize(
    ("expires_at", "warned"), [(None, True), (datetime(2015, 1, 1, tzinfo=UTC), True), (START + INTERVAL, False)]
)
def test_an_untrustworthy_expiry_is_logged_as_a_warning(tmp_path: Path, expires_at: datetime, warned: bool) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    _, status, stream = run_round(
        Config(INTERVAL, (entry,)), {"us-east-1": FakeEcr("us-east-1", expires_at=expires_at)}
    )
    warnings = [line["event"] for line in log_lines(stream) if line["level"] == "warning"]
    assert warnings == (["expires_at_not_in_future"] if warned else [])
    assert status.snapshot()[0].expires_at == (START + timedelta(hours=12) if warned else expires_at)


def test_the_loop_backs_off_after_failures_and_returns_to_the_interval(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    client = FakeEcr("us-east-1", fail=ConnectionError("down"))
    clock = FakeClock(sleeps_before_stop=5)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        if len(clock.sleeps) == 3:
            client.fail = None

    loop_until_stopped(Config(INTERVAL, (entry,)), client, clock, sleep)
    assert clock.sleeps == [1.0, 2.0, 4.0, INTERVAL.total_seconds(), INTERVAL.total_seconds()]
    assert len(client.calls) == 5
    assert Path(entry.password_file).read_text() == password("111111111111")


def test_the_loop_renews_before_a_token_expires(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    clock = FakeClock(sleeps_before_stop=1)
    client = FakeEcr("us-east-1", expires_at=START + timedelta(hours=2))
    loop_until_stopped(Config(timedelta(hours=6), (entry,)), client, clock, clock.sleep)
    assert clock.sleeps == [timedelta(hours=1).total_seconds()]


def test_after_the_renewal_time_passes_in_an_outage_retries_are_spaced_by_the_backoff(tmp_path: Path) -> None:
    # A 2 h token is due for renewal after 1 h; the endpoint goes down before then and stays down.
    entry = registry(tmp_path, "111111111111", "us-east-1")
    client = FakeEcr("us-east-1", expires_at=START + timedelta(hours=2))
    clock = FakeClock(sleeps_before_stop=12)

    def sleep(seconds: float) -> None:
        clock.sleep(seconds)
        client.fail = ConnectionError("down")

    loop_until_stopped(Config(timedelta(hours=6), (entry,)), client, clock, sleep)
    assert clock.sleeps == [3600.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 300.0, 300.0]
    assert len(client.calls) == 12
    assert Path(entry.password_file).read_text() == password("111111111111")


def loop_until_stopped(config: Config, client: FakeEcr, clock: FakeClock, sleep: Callable[[float], None]) -> None:
    """Run the daemon loop for one us-east-1 client, without jitter, until the fake clock stops it."""
    with pytest.raises(StopLoop):
        refresh_forever(
            config,
            {"us-east-1": client},
            Status(config.registries),
            JsonLog(io.StringIO(), clock.now),
            Clock(now=clock.now, sleep=sleep, random=lambda: 0.0),
        )
