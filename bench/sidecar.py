"""Benchmark: the token-refresh sidecar vs clouddriver's passwordCommand (`aws ecr get-login-password`), against moto.

Run from the repository root: .venv/bin/python -m bench.sidecar [--idle-seconds 120]
Prints markdown tables and the machine it ran on; sidecar/README.md holds the output of one run.

Bytecode: this environment sets PYTHONDONTWRITEBYTECODE=1 and uv installs without compiling, so a new Python process
compiles every third-party module from source. "source" runs are that situation (the standard library keeps its own
compiled files); "compiled" runs read bytecode compiled ahead into a PYTHONPYCACHEPREFIX tree, the same files that
`uv pip install --compile-bytecode` or the image's `compileall` produce. The runs use a virtual environment of their
own, made by uv in a scratch directory from the pinned sidecar/requirements.txt, the sidecar and the pinned awscli,
without compiled files (.venv is installed with --compile-bytecode, so it cannot give "source" figures).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

from tools.local_aws import MotoServer, local_aws_env

UV = Path(sys.executable).parent / "uv"
ROOT = Path(__file__).resolve().parent.parent
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
# passwordCommand runs once per registry request; clouddriver's default cacheIntervalSeconds is 30.
PASSWORD_COMMAND_CALLS_PER_HOUR = 3600 // 30
ROUNDS_PER_HOUR = 2  # at the usual interval of 30m
PROBES_PER_HOUR = 3600 // 10  # a kubelet probe every 10 s
RUNS = 5
MEASURED_ROUNDS = 30
MEASURED_PROBES = 200
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Run:
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float


@dataclass(frozen=True)
class Daemon:
    registries: int
    regions: int
    cpu_per_round: float
    idle_cpu_per_hour: float
    idle_switches_per_hour: float
    cpu_per_probe: float
    peak_rss_mib: float

    @property
    def hourly(self) -> float:
        return self.cpu_per_round * ROUNDS_PER_HOUR + self.idle_cpu_per_hour + self.cpu_per_probe * PROBES_PER_HOUR


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle-seconds", type=float, default=120.0, help="idle window per daemon (default 120)")
    idle_seconds = parser.parse_args().idle_seconds
    with tempfile.TemporaryDirectory() as scratch:
        directory = Path(scratch)
        python = benchmark_environment(directory / "venv")
        compiled = directory / "pycache"
        moto = MotoServer(directory)
        moto.start()
        try:
            warm_bytecode(python, directory, moto.url, compiled)
            once = {
                (registries, label): [sidecar_once(python, directory, moto.url, registries, cache) for _ in range(RUNS)]
                for registries in (1, 50)
                for label, cache in (("source", None), ("compiled", compiled))
            }
            daemons = [
                sidecar_daemon(python, directory, moto.url, registries, compiled, idle_seconds)
                for registries in (1, 50)
            ]
            cli = {
                label: [aws_cli_call(python, moto.url, cache) for _ in range(RUNS)]
                for label, cache in (("source", None), ("compiled", compiled))
            }
        finally:
            moto.stop()
    print(once_table(once))
    print()
    print(daemon_table(daemons, idle_seconds))
    print()
    print(comparison_table(daemons, cli))
    print()
    print(machine())


def benchmark_environment(venv: Path) -> Path:
    """A virtual environment with exactly the sidecar's pins, the sidecar and the pinned awscli, no bytecode (uv
    installs without compiling): its Python."""
    python = venv / "bin" / "python"
    awscli = next(
        line for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if line.startswith("awscli==")
    )
    subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True)
    install = [str(UV), "pip", "install", "--quiet", "--python", str(python)]
    requirements = str(ROOT / "sidecar" / "requirements.txt")
    subprocess.run([*install, "-r", requirements, "--no-deps", str(ROOT / "sidecar")], check=True)
    subprocess.run([*install, "-c", requirements, awscli], check=True)
    compiled = sorted(venv.rglob("__pycache__"))
    if compiled:
        raise SystemExit(f"{compiled[0]} exists: the 'source' figures would not be from source")
    return python


def environment(endpoint: str, cache: Path | None) -> dict[str, str]:
    env = {**local_aws_env(endpoint), "PYTHONDONTWRITEBYTECODE": "1"}
    if cache is not None:
        env["PYTHONPYCACHEPREFIX"] = str(cache)
    return env


def warm_bytecode(python: Path, directory: Path, endpoint: str, cache: Path) -> None:
    """One run of each command with bytecode writing on fills the cache tree with every module they import."""
    env = {**environment(endpoint, cache)}
    env.pop("PYTHONDONTWRITEBYTECODE")
    config = write_config(directory, "30m", 50)
    subprocess.run(sidecar_command(python, config, "--once"), env=env, check=True, capture_output=True)
    subprocess.run(aws_cli_command(python), env=env, check=True, capture_output=True)
    command = sidecar_command(python, config, "--health-port", "0")
    daemon = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        wait_for_rounds(daemon, 1)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


def write_config(directory: Path, interval: str, registries: int) -> Path:
    lines = [f"interval: {interval}", "registries:"]
    for index in range(registries):
        region = REGIONS[index % len(REGIONS)]
        registry_id = f"{index + 1:012d}"
        lines += [
            f'  - registryId: "{registry_id}"',
            f"    region: {region}",
            f"    passwordFile: {directory / 'passwords' / f'{region}-{registry_id}.pass'}",
        ]
    config = directory / f"config-{interval}-{registries}.yaml"
    config.write_text("\n".join(lines) + "\n")
    return config


def sidecar_command(python: Path, config: Path, *arguments: str) -> list[str]:
    return [str(python), "-m", "ecr_token_refresh", "--config", str(config), *arguments]


def timed(command: list[str], env: dict[str, str]) -> tuple[Run, int, bytes]:
    """Runs a command to completion; CPU and peak RSS are the kernel's accounting of that one child (wait4)."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    run = Run(time.monotonic() - started, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)
    return run, process.returncode, output


def sidecar_once(python: Path, directory: Path, endpoint: str, registries: int, cache: Path | None) -> Run:
    passwords = directory / "passwords"
    for stale in passwords.glob("*.pass") if passwords.exists() else ():
        stale.unlink()
    run, code, _ = timed(
        sidecar_command(python, write_config(directory, "30m", registries), "--once"), environment(endpoint, cache)
    )
    written = sorted(passwords.iterdir())
    if code != 0 or len(written) != registries:
        raise SystemExit(f"sidecar --once exited {code} with {len(written)} of {registries} files")
    # Asked without registryIds, moto answers the caller's own account's password (its default account).
    assert all(path.read_text() == "123456789012-auth-token" for path in written)
    return run


def sidecar_daemon(
    python: Path, directory: Path, endpoint: str, registries: int, cache: Path, idle_seconds: float
) -> Daemon:
    """CPU per round (rounds every 200 ms), idle CPU and wake-ups, CPU per health probe, peak RSS; compiled."""
    busy = start_daemon(python, write_config(directory, "200ms", registries), endpoint, cache)
    try:
        wait_for_rounds(busy, 2)
        before = process_cpu(busy.pid)
        wait_for_rounds(busy, MEASURED_ROUNDS)
        cpu_per_round = (process_cpu(busy.pid) - before) / MEASURED_ROUNDS
    finally:
        stop(busy)
    idle = start_daemon(python, write_config(directory, "30m", registries), endpoint, cache)
    try:
        port = wait_for_rounds(idle, 1)
        time.sleep(1.0)
        cpu_before, switches_before = thread_cpu_and_switches(idle.pid)
        time.sleep(idle_seconds)
        cpu_after, switches_after = thread_cpu_and_switches(idle.pid)
        for _ in range(MEASURED_PROBES):
            probe(port)
        cpu_probed, _ = thread_cpu_and_switches(idle.pid)
        peak_rss = peak_rss_mib(idle.pid)
    finally:
        stop(idle)
    return Daemon(
        registries=registries,
        regions=min(registries, len(REGIONS)),
        cpu_per_round=cpu_per_round,
        idle_cpu_per_hour=(cpu_after - cpu_before) * 3600 / idle_seconds,
        idle_switches_per_hour=(switches_after - switches_before) * 3600 / idle_seconds,
        cpu_per_probe=(cpu_probed - cpu_after) / MEASURED_PROBES,
        peak_rss_mib=peak_rss,
    )


def start_daemon(python: Path, config: Path, endpoint: str, cache: Path) -> subprocess.Popen[str]:
    command = sidecar_command(python, config, "--health-port", "0")
    return subprocess.Popen(command, env=environment(endpoint, cache), stdout=subprocess.PIPE, text=True)


def stop(daemon: subprocess.Popen[str]) -> None:
    daemon.terminate()
    daemon.wait(timeout=10)


def wait_for_rounds(daemon: subprocess.Popen[str], rounds: int) -> int:
    """Reads the log until `rounds` successful rounds have finished; returns the health port."""
    assert daemon.stdout is not None
    seen, port = 0, 0
    while seen < rounds:
        line = daemon.stdout.readline()
        if not line:
            raise SystemExit("the sidecar daemon exited")
        event = json.loads(line)
        if event["event"] == "started":
            port = event["healthPort"]
        if event["event"] == "round_finished":
            if not event["ok"]:
                raise SystemExit(f"a round failed: {event}")
            seen += 1
    return port


def process_cpu(pid: int) -> float:
    """utime + stime of the process, exited threads included (each round's call threads exit); 10 ms ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def thread_cpu_and_switches(pid: int) -> tuple[float, int]:
    """CPU time of every live thread from schedstat (nanoseconds), and their context switches."""
    cpu, switches = 0, 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        cpu += int((task / "schedstat").read_text().split()[0])
        for line in (task / "status").read_text().splitlines():
            if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                switches += int(line.split()[1])
    return cpu / 1e9, switches


def probe(port: int) -> None:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
            response.read()
    except urllib.error.HTTPError as error:
        error.read()


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("no VmHWM in /proc status")


def aws_cli_command(python: Path) -> list[str]:
    return [str(python.parent / "aws"), "ecr", "get-login-password", "--region", "us-east-1"]


def aws_cli_call(python: Path, endpoint: str, cache: Path | None) -> Run:
    run, code, output = timed(aws_cli_command(python), environment(endpoint, cache))
    if code != 0 or not output.strip():
        raise SystemExit(f"aws ecr get-login-password exited {code}")
    return run


def median(runs: list[Run], field: str) -> float:
    return statistics.median(getattr(run, field) for run in runs)


def once_table(once: dict[tuple[int, str], list[Run]]) -> str:
    rows = [
        "| `--once` (median of 5) | wall s | CPU s | peak RSS MiB |",
        "| --- | ---: | ---: | ---: |",
    ]
    for (registries, label), runs in once.items():
        regions = min(registries, len(REGIONS))
        rows.append(
            f"| {registries} registr{'y' if registries == 1 else 'ies'} in {regions} region{'s' * (regions > 1)}, "
            f"{label} | {median(runs, 'wall_seconds'):.2f} | {median(runs, 'cpu_seconds'):.2f} | "
            f"{median(runs, 'peak_rss_mib'):.0f} |"
        )
    return "\n".join(rows)


def daemon_table(daemons: list[Daemon], idle_seconds: float) -> str:
    rows = [
        "| daemon, compiled | CPU s per round | idle CPU s per hour | idle wake-ups per hour | CPU ms per probe "
        "| CPU s per hour (2 rounds + idle + 360 probes) | **per registry-hour** | peak RSS MiB |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for daemon in daemons:
        rows.append(
            f"| {daemon.registries} registr{'y' if daemon.registries == 1 else 'ies'}, {daemon.regions} "
            f"region{'s' * (daemon.regions > 1)} | {daemon.cpu_per_round:.4f} | {daemon.idle_cpu_per_hour:.4f} | "
            f"{daemon.idle_switches_per_hour:.0f} | {daemon.cpu_per_probe * 1000:.3f} | {daemon.hourly:.4f} | "
            f"**{daemon.hourly / daemon.registries:.5f}** | {daemon.peak_rss_mib:.0f} |"
        )
    rows.append("")
    rows.append(
        f"Idle over {idle_seconds:.0f} s per daemon (schedstat, ns), {MEASURED_PROBES} probes, "
        f"{MEASURED_ROUNDS} rounds (utime+stime, 10 ms ticks, averaged)."
    )
    return "\n".join(rows)


def comparison_table(daemons: list[Daemon], cli: dict[str, list[Run]]) -> str:
    rows = [
        "| CPU s per registry per hour | sidecar, compiled | passwordCommand, source | passwordCommand, compiled |",
        "| --- | ---: | ---: | ---: |",
    ]
    per_call = {label: median(runs, "cpu_seconds") for label, runs in cli.items()}
    for daemon in daemons:
        rows.append(
            f"| {daemon.registries} registr{'y' if daemon.registries == 1 else 'ies'} | "
            f"{daemon.hourly / daemon.registries:.5f} | "
            f"{per_call['source'] * PASSWORD_COMMAND_CALLS_PER_HOUR:.0f} | "
            f"{per_call['compiled'] * PASSWORD_COMMAND_CALLS_PER_HOUR:.0f} |"
        )
    rows.append("")
    for label, runs in cli.items():
        rows.append(
            f"`aws ecr get-login-password`, {label}: {median(runs, 'cpu_seconds'):.2f} s CPU, "
            f"{median(runs, 'wall_seconds'):.2f} s wall, {median(runs, 'peak_rss_mib'):.0f} MiB per call "
            f"(median of {len(runs)}; {PASSWORD_COMMAND_CALLS_PER_HOUR} calls per registry-hour)."
        )
    return "\n".join(rows)


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
