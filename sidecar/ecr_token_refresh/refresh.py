"""A refresh round (one GetAuthorizationToken call per region, a file per registry) and the loop that repeats it.

Whatever goes wrong with one region (the call, its answer, a file) is that region's or that registry's failure:
logged, kept in the status for health, retried by the backoff; the other regions are written as their answers come.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn, Protocol

from ecr_token_refresh import aws, schedule
from ecr_token_refresh.config import Config, Registry
from ecr_token_refresh.log import JsonLog
from ecr_token_refresh.status import Status
from ecr_token_refresh.writer import write_password


class Calls(Protocol):
    """calls.RegionCalls: each region's outcome, an AuthorizationData or the exception that stands for its failure."""

    def round(self, regions: Iterable[str]) -> Iterable[tuple[str, aws.AuthorizationData | Exception]]: ...


@dataclass(frozen=True)
class Clock:
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    random: Callable[[], float]


def refresh_forever(config: Config, calls: Calls, status: Status, log: JsonLog, clock: Clock) -> NoReturn:
    failures = 0
    while True:
        ok = refresh_round(config, calls, status, log, clock.now)
        failures = 0 if ok else failures + 1
        now = clock.now()
        due = schedule.next_refresh(now, config.interval, _renew_by(status), failures, clock.random())
        log.info("round_finished", ok=ok, failedRounds=failures, nextRefresh=due, inSeconds=_seconds(due - now))
        clock.sleep(max(0.0, (due - clock.now()).total_seconds()))


def refresh_round(config: Config, calls: Calls, status: Status, log: JsonLog, now: Callable[[], datetime]) -> bool:
    """Refresh every registry; True when all succeeded. A failure leaves that registry's last good file alone."""
    by_region = registries_by_region(config.registries)
    results = [
        _refresh_region(region, by_region[region], outcome, status, log, now)
        for region, outcome in calls.round(by_region)
    ]
    return len(results) == len(by_region) and all(results)


def registries_by_region(registries: Iterable[Registry]) -> dict[str, list[Registry]]:
    by_region: dict[str, list[Registry]] = {}
    for registry in registries:
        by_region.setdefault(registry.region, []).append(registry)
    return by_region


def _refresh_region(
    region: str,
    registries: list[Registry],
    outcome: aws.AuthorizationData | Exception,
    status: Status,
    log: JsonLog,
    now: Callable[[], datetime],
) -> bool:
    received_at = now()
    try:
        if isinstance(outcome, Exception):
            raise outcome
        expires_at = _planned_expiry(outcome, region, received_at, log)
    # Whatever it is, it stays this region's failure: the other regions are written, the daemon keeps running.
    except Exception as error:
        log.error("get_authorization_token_failed", region=region, registryIds=_ids(registries), error=_describe(error))
        for registry in registries:
            status.failed(registry, received_at, _describe(error))
        return False
    log.info("get_authorization_token", region=region, registryIds=_ids(registries))
    stored = [_store(registry, outcome.password, expires_at, status, log, received_at) for registry in registries]
    return all(stored)


def _planned_expiry(token: aws.AuthorizationData, region: str, received_at: datetime, log: JsonLog) -> datetime:
    expires_at, assumed = schedule.effective_expiry(token.expires_at, received_at)
    if assumed:
        log.warning(
            "expires_at_not_in_future",
            region=region,
            expiresAt=token.unusable_expires_at or token.expires_at,
            assumedExpiresAt=expires_at,
        )
    return expires_at


def _store(
    registry: Registry, password: str, expires_at: datetime, status: Status, log: JsonLog, received_at: datetime
) -> bool:
    fields = {"registryId": registry.registry_id, "region": registry.region, "passwordFile": registry.password_file}
    try:
        write_password(registry.password_file, password)
    # Not only OSError: whatever stops one file stops that registry alone.
    except Exception as error:
        log.error("refresh_failed", **fields, error=_describe(error))
        status.failed(registry, received_at, _describe(error))
        return False
    status.succeeded(registry, received_at, expires_at)
    log.info("password_written", **fields, expiresAt=expires_at)
    return True


def _renew_by(status: Status) -> datetime | None:
    times = [
        schedule.renewal_time(entry.refreshed_at, entry.expires_at)
        for entry in status.snapshot()
        if entry.refreshed_at is not None and entry.expires_at is not None
    ]
    return min(times, default=None)


def _ids(registries: list[Registry]) -> list[str]:
    return list(dict.fromkeys(registry.registry_id for registry in registries))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 3)
