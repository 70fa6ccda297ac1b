"""Benchmark: the token-refresh sidecar vs clouddriver's passwordCommand (`aws ecr get-login-password`), against moto.

Run from the repository root: .venv/bin/python -m bench.sidecar
Prints a markdown table and the machine it ran on; sidecar/README.md holds the output of one run.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from tools.local_aws import MotoServer, local_aws_env

BIN = Path(sys.executable).parent
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
REGISTRIES_PER_REGION = 10
REGISTRIES = len(REGIONS) * REGISTRIES_PER_REGION
# passwordCommand runs once per registry request; clouddriver's default cacheIntervalSeconds is 30.
PASSWORD_COMMAND_CALLS_PER_HOUR = 3600 // 30
SIDECAR_ROUNDS_PER_HOUR = 2  # at the usual interval of 30m
AWS_CLI_CALLS = 5
MEASURED_ROUNDS = 20
IDLE_SECONDS = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float
    exit_code: int


@dataclass(frozen=True)
class Daemon:
    cpu_per_round: float
    idle_cpu: float
    peak_rss_mib: float


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        moto = MotoServer(directory)
        moto.start()
        try:
            once = sidecar_once(directory, moto.url)
            calls = len(moto.token_calls())
            daemon = sidecar_daemon(directory, moto.url)
            cli = [aws_cli_call(moto.url) for _ in range(AWS_CLI_CALLS)]
        finally:
            moto.stop()
    print(table(once, calls, daemon, cli))
    print()
    print(machine())


def write_config(directory: Path, interval: str) -> Path:
    lines = [f"interval: {interval}", "registries:"]
    for region_index, region in enumerate(REGIONS):
        for index in range(REGISTRIES_PER_REGION):
            registry_id = f"{region_index + 1:06d}{index:06d}"
            lines += [
                f'  - registryId: "{registry_id}"',
                f"    region: {region}",
                f"    passwordFile: {directory / 'passwords' / f'{region}-{registry_id}.pass'}",
            ]
    config = directory / f"config-{interval}.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def timed(command: list[str], env: dict[str, str]) -> tuple[Run, bytes]:
    """Runs a command to completion; CPU and peak RSS come from the kernel's accounting of that one child."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return Run(time.monotonic() - started, cpu, usage.ru_maxrss / 1024, process.returncode), output


def sidecar_once(directory: Path, endpoint: str) -> Run:
    config = write_config(directory, "30m")
    command = [sys.executable, "-m", "ecr_token_refresh", "--config", str(config), "--once"]
    run, _ = timed(command, local_aws_env(endpoint))
    written = sorted((directory / "passwords").iterdir())
    if run.exit_code != 0 or len(written) != REGISTRIES:
        raise SystemExit(f"sidecar --once exited {run.exit_code} with {len(written)} of {REGISTRIES} files")
    for path in written:
        registry_id = path.stem.rsplit("-", 1)[1]
        assert path.read_text() == f"{registry_id}-auth-token", path
    return run


def sidecar_daemon(directory: Path, endpoint: str) -> Daemon:
    """CPU per round in steady state (a round every 1 s), CPU while idle, peak RSS of the long-running process."""
    busy = start_daemon(write_config(directory, "1s"), endpoint)
    try:
        wait_for_rounds(busy, 1)
        before = process_cpu(busy.pid)
        wait_for_rounds(busy, MEASURED_ROUNDS)
        cpu_per_round = (process_cpu(busy.pid) - before) / MEASURED_ROUNDS
        peak_rss = peak_rss_mib(busy.pid)
    finally:
        busy.terminate()
        busy.wait(timeout=10)
    idle = start_daemon(write_config(directory, "30m"), endpoint)
    try:
        wait_for_rounds(idle, 1)
        before = process_cpu(idle.pid)
        time.sleep(IDLE_SECONDS)
        idle_cpu = process_cpu(idle.pid) - before
    finally:
        idle.terminate()
        idle.wait(timeout=10)
    return Daemon(cpu_per_round, idle_cpu, peak_rss)


def start_daemon(config: Path, endpoint: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "ecr_token_refresh", "--config", str(config), "--health-port", "0"]
    return subprocess.Popen(command, env=local_aws_env(endpoint), stdout=subprocess.PIPE, text=True)


def wait_for_rounds(daemon: subprocess.Popen[str], rounds: int) -> None:
    assert daemon.stdout is not None
    seen = 0
    while seen < rounds:
        line = daemon.stdout.readline()
        if not line:
            raise SystemExit("the sidecar daemon exited")
        event = json.loads(line)
        if event["event"] == "round_finished":
            if not event["ok"]:
                raise SystemExit(f"a round failed: {event}")
            seen += 1


def process_cpu(pid: int) -> float:
    """utime + stime of every thread, from /proc (10 ms resolution)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc status")


def aws_cli_call(endpoint: str) -> Run:
    command = [str(BIN / "aws"), "ecr", "get-login-password", "--region", "us-east-1"]
    run, output = timed(command, local_aws_env(endpoint))
    if run.exit_code != 0 or not output.strip():
        raise SystemExit(f"aws ecr get-login-password exited {run.exit_code}")
    return run


def table(once: Run, calls: int, daemon: Daemon, cli: list[Run]) -> str:
    cli_cpu = statistics.mean(run.cpu_seconds for run in cli)
    cli_wall = statistics.mean(run.wall_seconds for run in cli)
    cli_rss = max(run.peak_rss_mib for run in cli)
    idle_per_hour = daemon.idle_cpu * 3600 / IDLE_SECONDS
    sidecar_hourly = (daemon.cpu_per_round * SIDECAR_ROUNDS_PER_HOUR + idle_per_hour) / REGISTRIES
    cli_hourly = cli_cpu * PASSWORD_COMMAND_CALLS_PER_HOUR
    rows = [
        (
            "",
            f"sidecar, {REGISTRIES} registries in {len(REGIONS)} regions",
            "passwordCommand: aws ecr get-login-password",
        ),
        ("---", "---", "---"),
        (
            "Wall time",
            f"{once.wall_seconds:.2f} s until all {REGISTRIES} files are written (`--once`, from exec)",
            f"{cli_wall:.2f} s per call (mean of {len(cli)})",
        ),
        ("GetAuthorizationToken calls", f"{calls} per round (one per region)", "1 per registry request"),
        (
            "Peak RSS",
            f"{once.peak_rss_mib:.0f} MiB (`--once`), {daemon.peak_rss_mib:.0f} MiB (daemon)",
            f"{cli_rss:.0f} MiB per call",
        ),
        (
            "CPU",
            f"{once.cpu_seconds:.2f} s per `--once` process; {daemon.cpu_per_round:.3f} s per daemon round; "
            f"{daemon.idle_cpu:.2f} s while idle for {IDLE_SECONDS:.0f} s (10 ms resolution)",
            f"{cli_cpu:.2f} s per call",
        ),
        (
            "**CPU s per registry per hour**",
            f"**{sidecar_hourly:.4f}** ({SIDECAR_ROUNDS_PER_HOUR} rounds/h at 30m)",
            f"**{cli_hourly:.0f}** ({PASSWORD_COMMAND_CALLS_PER_HOUR} calls/h at cacheIntervalSeconds 30)",
        ),
    ]
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def machine() -> str:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    return (
        f"Machine: {model}, {os.cpu_count()} cores, Linux {platform.release()}, Python {platform.python_version()}, "
        f"boto3 {version('boto3')}, awscli {version('awscli')} (v1, from PyPI), moto {version('moto')}."
    )


if __name__ == "__main__":
    main()
