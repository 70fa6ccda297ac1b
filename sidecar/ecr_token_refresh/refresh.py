"""A refresh round (one GetAuthorizationToken call per region, a file per registry) and the loop that repeats it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import NoReturn

from ecr_token_refresh import aws, schedule
from ecr_token_refresh.config import Config, Registry
from ecr_token_refresh.log import JsonLog
from ecr_token_refresh.status import Status
from ecr_token_refresh.writer import write_password


@dataclass(frozen=True)
class Clock:
    now: Callable[[], datetime]
    sleep: Callable[[float], None]
    random: Callable[[], float]


def refresh_forever(
    config: Config, clients: Mapping[str, aws.EcrApi], status: Status, log: JsonLog, clock: Clock
) -> NoReturn:
    failures = 0
    while True:
        ok = refresh_round(config, clients, status, log, clock.now)
        failures = 0 if ok else failures + 1
        now = clock.now()
        due = schedule.next_refresh(now, config.interval, _renew_by(status), failures, clock.random())
        log.info("round_finished", ok=ok, failedRounds=failures, nextRefresh=due, inSeconds=_seconds(due - now))
        clock.sleep(max(0.0, (due - clock.now()).total_seconds()))


def refresh_round(
    config: Config, clients: Mapping[str, aws.EcrApi], status: Status, log: JsonLog, now: Callable[[], datetime]
) -> bool:
    """Refresh every registry; True when all succeeded. A failure leaves that registry's last good file alone."""
    results = [_refresh_batch(batch, clients[batch.region], status, log, now) for batch in batches(config.registries)]
    return all(results)


@dataclass(frozen=True)
class Batch:
    """The registries of one GetAuthorizationToken call."""

    region: str
    registry_ids: list[str]
    registries: list[Registry]


def batches(registries: tuple[Registry, ...]) -> list[Batch]:
    """One batch per region, split only when a region has more registryIds than one call accepts."""
    by_region: dict[str, list[Registry]] = {}
    for registry in registries:
        by_region.setdefault(registry.region, []).append(registry)
    result = []
    for region, members in by_region.items():
        ids = list(dict.fromkeys(registry.registry_id for registry in members))
        for start in range(0, len(ids), aws.MAX_REGISTRY_IDS_PER_CALL):
            chunk = ids[start : start + aws.MAX_REGISTRY_IDS_PER_CALL]
            result.append(Batch(region, chunk, [registry for registry in members if registry.registry_id in chunk]))
    return result


def _refresh_batch(batch: Batch, client: aws.EcrApi, status: Status, log: JsonLog, now: Callable[[], datetime]) -> bool:
    try:
        tokens = aws.get_authorization_tokens(client, batch.registry_ids)
    # Throttling, network, credentials, a malformed answer: all mean "keep the old files and retry later".
    except Exception as error:
        log.error(
            "get_authorization_token_failed",
            region=batch.region,
            registryIds=batch.registry_ids,
            error=_describe(error),
        )
        for registry in batch.registries:
            status.failed(registry, now(), _describe(error))
        return False
    received_at = now()
    log.info("get_authorization_token", region=batch.region, registryIds=batch.registry_ids, entries=len(tokens))
    by_id = {token.registry_id: _planned(token, batch.region, received_at, log) for token in tokens}
    _share_for_missing(batch, by_id, log)
    stored = [
        _store(registry, by_id.get(registry.registry_id), status, log, received_at) for registry in batch.registries
    ]
    return all(stored)


def _planned(
    token: aws.AuthorizationData, region: str, received_at: datetime, log: JsonLog
) -> tuple[aws.AuthorizationData, datetime]:
    expires_at, assumed = schedule.effective_expiry(token.expires_at, received_at)
    if assumed:
        log.warning(
            "expires_at_not_in_future",
            registryId=token.registry_id,
            region=region,
            expiresAt=token.expires_at,
            assumedExpiresAt=expires_at,
        )
    return token, expires_at


def _share_for_missing(batch: Batch, by_id: dict[str, tuple[aws.AuthorizationData, datetime]], log: JsonLog) -> None:
    """registryIds is deprecated: the token is the principal's, valid for every registry it may read in the region."""
    if not by_id:
        return
    first = next(iter(by_id))
    for registry_id in batch.registry_ids:
        if registry_id not in by_id:
            log.warning("authorization_data_missing", registryId=registry_id, region=batch.region, usedEntryOf=first)
            by_id[registry_id] = by_id[first]


def _store(
    registry: Registry,
    planned: tuple[aws.AuthorizationData, datetime] | None,
    status: Status,
    log: JsonLog,
    received_at: datetime,
) -> bool:
    fields = {"registryId": registry.registry_id, "region": registry.region, "passwordFile": registry.password_file}
    if planned is None:
        message = f"no authorizationData in the answer for registry {registry.registry_id}"
        log.error("refresh_failed", **fields, error=message)
        status.failed(registry, received_at, message)
        return False
    token, expires_at = planned
    try:
        write_password(registry.password_file, token.password)
    except OSError as error:
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


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _seconds(delta: timedelta) -> float:
    return round(delta.total_seconds(), 3)
