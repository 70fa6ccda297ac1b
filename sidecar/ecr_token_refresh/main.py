"""Command line: wires config, AWS clients, the refresh loop, the health server and the signals together."""

from __future__ import annotations

import argparse
import os
import random
import sys
from datetime import UTC, datetime

import ecr_token_refresh
from ecr_token_refresh import aws, contract, health, stop
from ecr_token_refresh.calls import RegionCalls
from ecr_token_refresh.config import Config, ConfigError, load
from ecr_token_refresh.duration import SECOND, DurationError, parse_go_duration
from ecr_token_refresh.log import FileDescriptorStream, JsonLog
from ecr_token_refresh.refresh import Clock, refresh_forever, refresh_round
from ecr_token_refresh.status import Status
from ecr_token_refresh.writer import remove_stale_temporary_files

DEFAULT_CALL_DEADLINE = "15s"
CALL_DEADLINE_RANGE = ("10ms", "5m")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    _open_standard_descriptors()
    log = JsonLog(FileDescriptorStream(1), _utc_now)
    try:
        stop.install()
        return _load_and_run(_arguments(argv), log)
    except stop.Stopped as stopped:
        log.info("stopped", signal=str(stopped))
        # An interrupted --once did not refresh every registry.
        return 1 if "--once" in argv else 0


def _open_standard_descriptors() -> None:
    """A closed stdin, stdout or stderr becomes /dev/null, so that no password file can get descriptor 1."""
    for descriptor in (0, 1, 2):
        try:
            os.fstat(descriptor)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # the lowest free descriptor: this one


def _load_and_run(args: argparse.Namespace, log: JsonLog) -> int:
    try:
        config = load(args.config)
    except ConfigError as error:
        log.error("config_invalid", config=args.config, errors=list(error.problems))
        return 2
    removed, failed = remove_stale_temporary_files(registry.password_file for registry in config.registries)
    if removed:
        log.info("stale_temporary_files_removed", files=removed)
    for path, error in failed:
        log.warning("stale_temporary_file_not_removed", file=path, error=error)
    return _run(args, config, log)


def _arguments(argv: list[str]) -> argparse.Namespace:
    # No abbreviations: `--once` must be spelled out, since main tells an interrupted --once by its spelling.
    parser = argparse.ArgumentParser(
        prog="ecr_token_refresh", description=ecr_token_refresh.__doc__, allow_abbrev=False
    )
    default = contract.CONFIG_PATH
    parser.add_argument("--config", default=default, help=f"config.yaml to read (default {default})")
    parser.add_argument("--once", action="store_true", help="refresh every registry once; exit 0 if all succeeded")
    parser.add_argument(
        "--health-port",
        type=_port,
        default=contract.HEALTH_PORT,
        help=f"port of GET /healthz and /health (default {contract.HEALTH_PORT}; 0 picks a free port)",
    )
    parser.add_argument(
        "--call-deadline",
        type=_call_deadline,
        default=_call_deadline(DEFAULT_CALL_DEADLINE),
        metavar="DURATION",
        help=f"most time one region's GetAuthorizationToken may take, connect, retries and reads together "
        f"(a Go duration from {CALL_DEADLINE_RANGE[0]} to {CALL_DEADLINE_RANGE[1]}; default {DEFAULT_CALL_DEADLINE})",
    )
    return parser.parse_args(argv)


def _port(text: str) -> int:
    if not text.isascii() or not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return int(text)


def _call_deadline(text: str) -> float:
    accepted = f"a Go duration from {CALL_DEADLINE_RANGE[0]} to {CALL_DEADLINE_RANGE[1]} such as 15s"
    low, high = (parse_go_duration(bound) for bound in CALL_DEADLINE_RANGE)
    try:
        nanoseconds = parse_go_duration(text)
    except DurationError as error:
        raise argparse.ArgumentTypeError(f"{text!r} is not {accepted}: {error.reason}") from None
    if not low <= nanoseconds <= high:
        raise argparse.ArgumentTypeError(f"{text!r} is not {accepted}")
    return nanoseconds / SECOND


def _run(args: argparse.Namespace, config: Config, log: JsonLog) -> int:
    clients = aws.ecr_clients(dict.fromkeys(registry.region for registry in config.registries))
    calls = RegionCalls(clients, args.call_deadline)
    status = Status(config.registries)
    clock = Clock(now=_utc_now, sleep=stop.sleep, random=random.Random().random)
    if args.once:
        ok = refresh_round(config, calls, status, log, clock.now)
        log.info("once_finished", ok=ok)
        return 0 if ok else 1
    try:
        server = health.serve(args.health_port, lambda: health.assess(status.snapshot(), clock.now(), config.interval))
    except OSError as error:
        log.error("health_port_unavailable", port=args.health_port, error=str(error))
        return 1
    log.info(
        "started",
        config=args.config,
        interval=config.interval.total_seconds(),
        registries=len(config.registries),
        healthPort=server.port,
        callDeadline=args.call_deadline,
    )
    try:
        refresh_forever(config, calls, status, log, clock)
    finally:
        server.close()


def _utc_now() -> datetime:
    return datetime.now(UTC)
