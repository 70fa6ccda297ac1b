"""schedule: interval, early renewal, the past-expiresAt case, backoff and its cap, jitter bounds. Time is injected."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from ecr_token_refresh.schedule import effective_expiry, next_refresh, renewal_time, retry_delay

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
THIRTY_MINUTES = timedelta(minutes=30)
RANDOMS = [0.0, 0.1, 0.25, 0.5, 0.75, 0.999999]


def test_a_future_expiry_is_kept() -> None:
    assert effective_expiry(NOW + timedelta(hours=12), NOW) == (NOW + timedelta(hours=12), False)


@pytest.mark.parametrize("expires_at", [None, datetime(2015, 1, 1, tzinfo=UTC), NOW])
def test_a_missing_or_past_expiry_counts_as_twelve_hours_from_receipt(expires_at: datetime | None) -> None:
    assert effective_expiry(expires_at, NOW) == (NOW + timedelta(hours=12), True)


def test_renewal_is_an_hour_before_a_twelve_hour_expiry() -> None:
    assert renewal_time(NOW, NOW + timedelta(hours=12)) == NOW + timedelta(hours=11)


def test_a_short_token_is_renewed_at_half_its_life() -> None:
    assert renewal_time(NOW, NOW + timedelta(minutes=30)) == NOW + timedelta(minutes=15)


def test_success_waits_the_interval_when_expiry_is_far() -> None:
    renew_by = renewal_time(NOW, NOW + timedelta(hours=12))
    assert next_refresh(NOW, THIRTY_MINUTES, renew_by, failures=0, random=0.0) == NOW + THIRTY_MINUTES


def test_early_renewal_comes_before_a_longer_interval() -> None:
    renew_by = renewal_time(NOW, NOW + timedelta(hours=12))
    assert next_refresh(NOW, timedelta(hours=24), renew_by, failures=0, random=0.0) == NOW + timedelta(hours=11)


def test_the_past_expiry_from_the_local_test_server_does_not_cause_a_tight_loop() -> None:
    expires_at, assumed = effective_expiry(datetime(2015, 1, 1, tzinfo=UTC), NOW)
    due = next_refresh(NOW, THIRTY_MINUTES, renewal_time(NOW, expires_at), failures=0, random=0.0)
    assert assumed
    assert due == NOW + THIRTY_MINUTES


def test_a_renewal_already_due_still_waits_at_least_about_a_second() -> None:
    due = next_refresh(NOW, THIRTY_MINUTES, NOW - timedelta(minutes=5), failures=0, random=0.999999)
    assert due - NOW >= timedelta(seconds=0.9)


def test_an_interval_below_a_second_is_honoured() -> None:
    interval = timedelta(milliseconds=100)
    assert next_refresh(NOW, interval, NOW - timedelta(minutes=5), failures=0, random=0.0) == NOW + interval


@pytest.mark.parametrize("random", RANDOMS)
def test_success_jitter_is_at_most_ten_percent_earlier(random: float) -> None:
    delay = next_refresh(NOW, THIRTY_MINUTES, None, failures=0, random=random) - NOW
    assert THIRTY_MINUTES * 0.9 < delay <= THIRTY_MINUTES


def test_success_jitter_spreads_pods() -> None:
    delays = {next_refresh(NOW, THIRTY_MINUTES, None, failures=0, random=random) for random in RANDOMS}
    assert len(delays) == len(RANDOMS)


def test_backoff_doubles_from_one_second() -> None:
    assert [retry_delay(failures, THIRTY_MINUTES).total_seconds() for failures in range(1, 7)] == [1, 2, 4, 8, 16, 32]


def test_backoff_is_capped_at_five_minutes() -> None:
    assert retry_delay(9, THIRTY_MINUTES) == timedelta(seconds=256)
    assert retry_delay(10, THIRTY_MINUTES) == timedelta(minutes=5)
    assert retry_delay(10_000, THIRTY_MINUTES) == timedelta(minutes=5)


def test_backoff_is_capped_at_half_a_short_interval() -> None:
    assert retry_delay(5, timedelta(seconds=4)) == timedelta(seconds=2)


@pytest.mark.parametrize("random", RANDOMS)
@pytest.mark.parametrize("failures", [1, 3, 12])
def test_a_failed_round_is_retried_within_half_to_all_of_its_backoff(failures: int, random: float) -> None:
    backoff = retry_delay(failures, THIRTY_MINUTES)
    delay = next_refresh(NOW, THIRTY_MINUTES, None, failures=failures, random=random) - NOW
    assert backoff / 2 < delay <= backoff
    assert delay <= THIRTY_MINUTES / 6


@pytest.mark.parametrize("random", RANDOMS)
@pytest.mark.parametrize("failures", [1, 5, 10])
def test_backoff_wins_over_a_renewal_time_already_past(failures: int, random: float) -> None:
    # An outage that outlasts the renewal point must not turn retries into a call a second.
    backoff = retry_delay(failures, THIRTY_MINUTES)
    delay = next_refresh(NOW, THIRTY_MINUTES, NOW - timedelta(hours=1), failures=failures, random=random) - NOW
    assert backoff / 2 < delay <= backoff
    assert backoff == min(timedelta(seconds=2 ** (failures - 1)), timedelta(minutes=5))
