"""When to refresh next. Pure: the caller passes the current time and a random number in [0, 1)."""

from __future__ import annotations

from datetime import datetime, timedelta

from ecr_token_refresh import contract

# The lifetime assumed when the answer's expiresAt cannot be trusted.
ASSUMED_TOKEN_LIFETIME = contract.TOKEN_LIFETIME
EARLY_RENEWAL = timedelta(hours=1)
# A success is rescheduled up to this fraction earlier, so pods started together drift apart.
SUCCESS_JITTER = 0.1
# A retry waits between half and all of its backoff step ("equal jitter").
RETRY_JITTER = 0.5
FIRST_RETRY = timedelta(seconds=1)
MAX_RETRY = timedelta(minutes=5)
MIN_DELAY = timedelta(seconds=1)


def effective_expiry(expires_at: datetime | None, received_at: datetime) -> tuple[datetime, bool]:
    """The expiry to plan with, and whether it was assumed because expiresAt was missing or not in the future."""
    if expires_at is None or expires_at <= received_at:
        return received_at + ASSUMED_TOKEN_LIFETIME, True
    return expires_at, False


def renewal_time(refreshed_at: datetime, expires_at: datetime) -> datetime:
    """Renew an hour before expiry, but never in the first half of a short-lived token's life."""
    lifetime = expires_at - refreshed_at
    return refreshed_at + max(lifetime / 2, lifetime - EARLY_RENEWAL)


def retry_delay(failures: int, interval: timedelta) -> timedelta:
    """Exponential backoff before jitter: 1 s, 2 s, 4 s ... capped at 5 min and at half the interval."""
    cap = min(MAX_RETRY, interval / 2)
    return min(FIRST_RETRY * 2 ** min(failures - 1, 32), cap)


def next_refresh(
    now: datetime, interval: timedelta, renew_by: datetime | None, failures: int, random: float
) -> datetime:
    """The next round: after `interval`, sooner when a token must be renewed, after the backoff once a round failed."""
    if failures:
        # Backoff alone: a renewal time that passed during an outage must not turn retries into a 1 s loop.
        return now + _jittered(retry_delay(failures, interval), RETRY_JITTER, random)
    delay = interval if renew_by is None else min(interval, renew_by - now)
    # An expiry that is already near must not turn into a tight loop.
    delay = max(delay, min(interval, MIN_DELAY))
    return now + _jittered(delay, SUCCESS_JITTER, random)


def _jittered(delay: timedelta, spread: float, random: float) -> timedelta:
    return delay * (1 - spread * random)
