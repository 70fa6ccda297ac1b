"""refresh: one call per region without registryIds, every failure stays its region's or registry's, the loop backs off.

The ECR clients, the clock and randomness are passed in; nothing is patched and nothing sleeps.
"""

from __future__ import annotations

import base64
import io
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

import pytest
from ecr_token_refresh import aws
from ecr_token_refresh.calls import RegionCalls
from ecr_token_refresh.config import Config, Registry
from ecr_token_refresh.log import JsonLog
from ecr_token_refresh.refresh import Clock, refresh_forever, refresh_round
from ecr_token_refresh.status import Status

START = datetime(2026, 1, 1, tzinfo=UTC)
INTERVAL = timedelta(minutes=30)
OWN_ACCOUNT = "999999999999"


class FakeEcr:
    """Answers like ECR without registryIds: one entry, for the caller's own registry, valid for all it may read."""

    def __init__(self, region: str, *, expires_at: Any = None, fail: Exception | None = None) -> None:
        self.region = region
        self.expires_at = expires_at
        self.fail = fail
        self.answer: Any = None
        self.calls: list[dict[str, Any]] = []

    def get_authorization_token(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        if self.fail:
            raise self.fail
        if self.answer is not None:
            return self.answer
        return {
            "authorizationData": [
                {
                    "authorizationToken": token(password(self.region)),
                    "expiresAt": self.expires_at,
                    "proxyEndpoint": f"https://{OWN_ACCOUNT}.dkr.ecr.{self.region}.amazonaws.com",
                }
            ]
        }


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


def password(region: str) -> str:
    return f"pw-for-{region}"


def token(text: str) -> str:
    return base64.b64encode(f"AWS:{text}".encode()).decode()


def registry(tmp_path: Path, registry_id: str, region: str) -> Registry:
    return Registry(registry_id, region, str(tmp_path / "passwords" / f"{registry_id}-{region}.pass"))


def log_lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def run_round(
    config: Config, clients: Mapping[str, FakeEcr], deadline: float = 10.0
) -> tuple[bool, Status, io.StringIO]:
    status = Status(config.registries)
    stream = io.StringIO()
    calls = RegionCalls(clients, deadline)
    ok = refresh_round(config, calls, status, JsonLog(stream, lambda: START), lambda: START)
    return ok, status, stream


def test_one_call_per_region_without_registry_ids_and_its_password_in_every_file_of_the_region(tmp_path: Path) -> None:
    # The token is the principal's: it opens its own registry and every other account's that allows it.
    registries = (
        registry(tmp_path, "111111111111", "us-east-1"),
        registry(tmp_path, "222222222222", "eu-west-1"),
        registry(tmp_path, "012345678901", "us-east-1"),
        *(registry(tmp_path, f"{n:012d}", "us-east-1") for n in range(1, 24)),
    )
    clients = {"us-east-1": FakeEcr("us-east-1"), "eu-west-1": FakeEcr("eu-west-1")}
    ok, status, stream = run_round(Config(INTERVAL, registries), clients)
    assert ok
    assert clients["us-east-1"].calls == [{}]
    assert clients["eu-west-1"].calls == [{}]
    for entry in registries:
        assert Path(entry.password_file).read_text() == password(entry.region)
    assert all(entry.refreshed_at == START for entry in status.snapshot())
    answered = [line for line in log_lines(stream) if line["event"] == "get_authorization_token"]
    assert sorted(line["region"] for line in answered) == ["eu-west-1", "us-east-1"]


def test_two_files_for_one_registry_both_get_the_password(tmp_path: Path) -> None:
    first = registry(tmp_path, "111111111111", "us-east-1")
    second = Registry(first.registry_id, first.region, first.password_file + ".copy")
    client = FakeEcr("us-east-1")
    ok, _, stream = run_round(Config(INTERVAL, (first, second)), {"us-east-1": client})
    assert ok
    assert client.calls == [{}]
    assert Path(second.password_file).read_text() == password("us-east-1")
    (answered,) = [line for line in log_lines(stream) if line["event"] == "get_authorization_token"]
    assert answered["registryIds"] == ["111111111111"]


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
    assert Path(working.password_file).read_text() == password("eu-west-1")
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


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ({}, "AnswerError: the answer has no authorizationData entry (got nothing)"),
        ({"authorizationData": []}, "AnswerError: the answer has no authorizationData entry (got a list)"),
        ({"authorizationData": "AWS:x"}, "AnswerError: the answer has no authorizationData entry (got a str)"),
        ([1, 2], "AnswerError: the answer is a list, not a mapping"),
        ({"authorizationData": [7]}, "AnswerError: authorizationData[0] is a int, not a mapping"),
        ({"authorizationData": [{}]}, "AnswerError: authorizationToken is nothing, not a string"),
        (
            {"authorizationData": [{"authorizationToken": "not-base64!"}]},
            "AnswerError: authorizationToken is not base64 of ASCII 'user:password'",
        ),
        (
            {"authorizationData": [{"authorizationToken": base64.b64encode(b"AWS-no-colon").decode()}]},
            "AnswerError: authorizationToken does not decode to 'user:password'",
        ),
        (
            {"authorizationData": [{"authorizationToken": token("pass word\n")}]},
            "AnswerError: the password in authorizationToken has a space or control character",
        ),
        (
            {"authorizationData": [{"authorizationToken": token("a b")}]},
            "AnswerError: the password in authorizationToken has a space or control character",
        ),
        (
            {"authorizationData": [{"authorizationToken": token("ab\x7f")}]},
            "AnswerError: the password in authorizationToken has a space or control character",
        ),
        (
            {"authorizationData": [{"authorizationToken": token("")}]},
            "AnswerError: authorizationToken does not decode to 'user:password'",
        ),
        (
            # One character outside the base64 alphabet: refused, not skipped over.
            {"authorizationData": [{"authorizationToken": "*" + token("password")}]},
            "AnswerError: authorizationToken is not base64 of ASCII 'user:password'",
        ),
        (
            {"authorizationData": [{"authorizationToken": base64.b64encode("AWS:pässword".encode()).decode()}]},
            "AnswerError: authorizationToken is not base64 of ASCII 'user:password'",
        ),
    ],
)
def test_a_malformed_answer_fails_its_region_without_quoting_the_token(tmp_path: Path, answer: Any, error: str) -> None:
    broken = registry(tmp_path, "111111111111", "us-east-1")
    working = registry(tmp_path, "222222222222", "eu-west-1")
    clients = {"us-east-1": FakeEcr("us-east-1"), "eu-west-1": FakeEcr("eu-west-1")}
    clients["us-east-1"].answer = answer
    ok, status, stream = run_round(Config(INTERVAL, (broken, working)), clients)
    assert not ok
    assert status.snapshot()[0].last_error == error
    assert not Path(broken.password_file).exists()
    assert Path(working.password_file).read_text() == password("eu-west-1")
    assert "not-base64!" not in stream.getvalue()
    assert "pass word" not in stream.getvalue()


def test_every_printable_ascii_character_may_be_in_a_password(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    printable = "".join(chr(code) for code in range(ord("!"), ord("~") + 1))
    client = FakeEcr("us-east-1")
    client.answer = {"authorizationData": [{"authorizationToken": token(printable)}]}
    ok, _, _ = run_round(Config(INTERVAL, (entry,)), {"us-east-1": client})
    assert ok
    assert Path(entry.password_file).read_text() == printable


class BadOffset(tzinfo):
    def __init__(self, offset: Any) -> None:
        self.offset = offset

    def utcoffset(self, dt: datetime | None) -> Any:
        return self.offset


@pytest.mark.parametrize(
    ("expires_at", "shown"),
    [
        (datetime.max.replace(tzinfo=timezone(timedelta(hours=-1))), "(OverflowError)"),
        (datetime(2030, 1, 1, tzinfo=BadOffset(timedelta(hours=25))), "(ValueError)"),
        (datetime(2030, 1, 1, tzinfo=BadOffset("soon")), "(TypeError)"),
    ],
)
def test_an_expiry_that_cannot_be_read_as_utc_counts_as_missing(
    tmp_path: Path, expires_at: datetime, shown: str
) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    ok, status, stream = run_round(
        Config(INTERVAL, (entry,)), {"us-east-1": FakeEcr("us-east-1", expires_at=expires_at)}
    )
    assert ok
    assert status.snapshot()[0].expires_at == START + timedelta(hours=12)
    (warning,) = [line for line in log_lines(stream) if line["level"] == "warning"]
    assert warning["expiresAt"].endswith(shown)


def test_an_expiry_in_another_time_zone_keeps_its_instant(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    in_paris = datetime(2026, 1, 1, 11, 0, tzinfo=timezone(timedelta(hours=1)))
    ok, status, _ = run_round(Config(INTERVAL, (entry,)), {"us-east-1": FakeEcr("us-east-1", expires_at=in_paris)})
    assert ok
    (stored,) = status.snapshot()
    assert stored.expires_at == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert stored.expires_at.utcoffset() == timedelta(0)


def test_of_several_entries_the_first_is_used(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    client = FakeEcr("us-east-1")
    client.answer = {
        "authorizationData": [{"authorizationToken": token("first")}, {"authorizationToken": token("second")}]
    }
    ok, _, _ = run_round(Config(INTERVAL, (entry,)), {"us-east-1": client})
    assert ok
    assert Path(entry.password_file).read_text() == "first"


def test_an_expiry_without_a_time_zone_counts_as_utc(tmp_path: Path) -> None:
    naive = registry(tmp_path, "111111111111", "us-east-1")
    client = FakeEcr("us-east-1", expires_at=datetime(2026, 1, 1, 10, 0))
    ok, status, stream = run_round(Config(INTERVAL, (naive,)), {"us-east-1": client})
    assert ok
    assert status.snapshot()[0].expires_at == datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
    assert [line["level"] for line in log_lines(stream)] == ["info", "info"]


@pytest.mark.parametrize(
    ("expires_at", "shown"),
    [
        (None, None),
        (datetime(2015, 1, 1, tzinfo=UTC), "2015-01-01T00:00:00+00:00"),
        ("2030-01-01T00:00:00", "'2030-01-01T00:00:00'"),
        (1893456000, "1893456000"),
    ],
)
def test_an_unusable_expiry_is_assumed_twelve_hours_with_a_warning(
    tmp_path: Path, expires_at: Any, shown: str | None
) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    ok, status, stream = run_round(
        Config(INTERVAL, (entry,)), {"us-east-1": FakeEcr("us-east-1", expires_at=expires_at)}
    )
    assert ok
    (warning,) = [line for line in log_lines(stream) if line["level"] == "warning"]
    assert warning["event"] == "expires_at_not_in_future"
    assert warning["expiresAt"] == shown
    assert status.snapshot()[0].expires_at == START + timedelta(hours=12)


def test_a_future_expiry_is_kept_without_a_warning(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    client = FakeEcr("us-east-1", expires_at=START + INTERVAL)
    ok, status, stream = run_round(Config(INTERVAL, (entry,)), {"us-east-1": client})
    assert ok
    assert [line["level"] for line in log_lines(stream)] == ["info", "info"]
    assert status.snapshot()[0].expires_at == START + INTERVAL


def test_a_file_that_cannot_be_written_fails_that_registry_alone(tmp_path: Path) -> None:
    directory = registry(tmp_path, "111111111111", "us-east-1")
    Path(directory.password_file).mkdir(parents=True)
    # Not an OSError: whatever stops one file stops that registry alone.
    nul = Registry("222222222222", "us-east-1", str(tmp_path / "a\0b.pass"))
    written = registry(tmp_path, "333333333333", "us-east-1")
    ok, status, stream = run_round(Config(INTERVAL, (directory, nul, written)), {"us-east-1": FakeEcr("us-east-1")})
    assert not ok
    assert Path(written.password_file).read_text() == password("us-east-1")
    assert [entry.last_error.split(":")[0] if entry.last_error else None for entry in status.snapshot()] == [
        "IsADirectoryError",
        "ValueError",
        None,
    ]
    failed = [line for line in log_lines(stream) if line["event"] == "refresh_failed"]
    assert [line["registryId"] for line in failed] == ["111111111111", "222222222222"]


def test_logs_never_contain_a_password_or_token(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    _, _, stream = run_round(Config(INTERVAL, (entry,)), {"us-east-1": FakeEcr("us-east-1")})
    assert "password_written" in stream.getvalue()
    assert password("us-east-1") not in stream.getvalue()
    assert token(password("us-east-1")) not in stream.getvalue()


class HangingEcr(FakeEcr):
    """Does not answer until released, like a server that trickles bytes."""

    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.release = threading.Event()

    def get_authorization_token(self, **kwargs: Any) -> Any:
        self.calls.append(kwargs)
        self.release.wait(timeout=30)
        return {"authorizationData": [{"authorizationToken": token(password(self.region))}]}


def test_a_region_that_does_not_answer_in_time_fails_alone_and_gets_no_second_call_meanwhile(tmp_path: Path) -> None:
    hanging = registry(tmp_path, "111111111111", "us-east-1")
    working = registry(tmp_path, "222222222222", "eu-west-1")
    config = Config(INTERVAL, (hanging, working))
    clients: dict[str, FakeEcr] = {"us-east-1": HangingEcr("us-east-1"), "eu-west-1": FakeEcr("eu-west-1")}
    calls = RegionCalls(clients, deadline_seconds=0.2)
    status, stream = Status(config.registries), io.StringIO()
    log = JsonLog(stream, lambda: START)
    try:
        started = time.monotonic()
        assert not refresh_round(config, calls, status, log, lambda: START)
        assert 0.2 <= time.monotonic() - started < 0.9
        # A daemon thread: a call that never returns must not hold up the interpreter's exit.
        (hanging_thread,) = [t for t in threading.enumerate() if t.name == "GetAuthorizationToken us-east-1"]
        assert hanging_thread.daemon
        assert Path(working.password_file).read_text() == password("eu-west-1")
        assert status.snapshot()[0].last_error == (
            "NoAnswerInTime: no answer within 0.2 s (connect, retries and reads)"
        )
        assert not refresh_round(config, calls, status, log, lambda: START)
        assert status.snapshot()[0].last_error == "PreviousCallRunning: the call sent 0 s ago has not returned"
        assert len(clients["us-east-1"].calls) == 1
        assert len(clients["eu-west-1"].calls) == 2
    finally:
        clients["us-east-1"].release.set()  # type: ignore[attr-defined]
    calls_after_release = RegionCalls(clients, deadline_seconds=5)
    assert refresh_round(config, calls_after_release, status, log, lambda: START)
    assert Path(hanging.password_file).read_text() == password("us-east-1")


def test_an_answer_that_takes_a_while_but_comes_within_the_deadline_is_used(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    slow = HangingEcr("us-east-1")
    threading.Timer(0.2, slow.release.set).start()
    ok, _, _ = run_round(Config(INTERVAL, (entry,)), {"us-east-1": slow}, deadline=10.0)
    assert ok
    assert Path(entry.password_file).read_text() == password("us-east-1")


class SilentCalls:
    """A Calls that reports no region at all."""

    def round(self, regions: Iterable[str]) -> list[tuple[str, Any]]:
        return []


def test_a_round_in_which_a_region_was_never_answered_is_not_ok(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    status = Status((entry,))
    assert not refresh_round(
        Config(INTERVAL, (entry,)), SilentCalls(), status, JsonLog(io.StringIO(), lambda: START), lambda: START
    )


def test_an_interval_below_a_second_is_slept_as_it_is(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    clock = FakeClock(sleeps_before_stop=1)
    client = FakeEcr("us-east-1", expires_at=START + timedelta(hours=12))
    loop_until_stopped(Config(timedelta(milliseconds=100), (entry,)), client, clock, clock.sleep)
    assert clock.sleeps == [0.1]


def test_the_loop_logs_when_the_next_round_comes(tmp_path: Path) -> None:
    entry = registry(tmp_path, "111111111111", "us-east-1")
    clock = FakeClock(sleeps_before_stop=1)
    stream = io.StringIO()
    with pytest.raises(StopLoop):
        refresh_forever(
            Config(INTERVAL, (entry,)),
            RegionCalls({"us-east-1": FakeEcr("us-east-1", expires_at=START + timedelta(hours=12))}, 10.0),
            Status((entry,)),
            JsonLog(stream, clock.now),
            Clock(now=clock.now, sleep=clock.sleep, random=lambda: 0.123456),
        )
    (finished,) = [line for line in log_lines(stream) if line["event"] == "round_finished"]
    # 30 min, up to 10% earlier: 1800 * (1 - 0.1 * 0.123456) = 1777.77792 s, logged to the millisecond.
    assert finished == {
        "time": START.isoformat(timespec="milliseconds"),
        "level": "info",
        "event": "round_finished",
        "ok": True,
        "failedRounds": 0,
        "nextRefresh": (START + timedelta(seconds=1777.77792)).isoformat(),
        "inSeconds": 1777.778,
    }


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
    assert Path(entry.password_file).read_text() == password("us-east-1")


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
    assert Path(entry.password_file).read_text() == password("us-east-1")


def loop_until_stopped(config: Config, client: FakeEcr, clock: FakeClock, sleep: Callable[[float], None]) -> None:
    """Run the daemon loop for one us-east-1 client, without jitter, until the fake clock stops it."""
    with pytest.raises(StopLoop):
        refresh_forever(
            config,
            RegionCalls({"us-east-1": client}, 10.0),
            Status(config.registries),
            JsonLog(io.StringIO(), clock.now),
            Clock(now=clock.now, sleep=sleep, random=lambda: 0.0),
        )


def test_the_clients_carry_botocores_own_limits_under_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    # Dummy keys: the credential chain must not go looking for an instance metadata service.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    clients = aws.ecr_clients(["eu-west-1", "us-east-1"])
    assert list(clients) == ["eu-west-1", "us-east-1"]
    config = clients["eu-west-1"].meta.config  # type: ignore[attr-defined]
    assert (config.region_name, config.connect_timeout, config.read_timeout) == ("eu-west-1", 2, 5)
    assert config.retries == {"mode": "standard", "total_max_attempts": 3}
