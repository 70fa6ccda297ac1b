"""Benchmark: whole-process `python -m tools.render` against the floor (a bare import of the SDK modules the
program needs), and for 1, 50 and 200 registries: wall time, CPU time and peak memory of each process.

Run from the repository root: .venv/bin/python -m bench.render
Prints a markdown table and the machine it ran on; docs/render.md holds the output of one run.
"""

from __future__ import annotations

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

import yaml

from tools.stack_files import stack_file

REPO = Path(__file__).resolve().parents[1]
REPEATS = 7
REGISTRY_COUNTS = (1, 50, 200)
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
FLOOR = "import pulumi_aws.iam, pulumi_kubernetes.core.v1, pulumi_kubernetes.apiextensions"


@dataclass(frozen=True)
class Run:
    wall_seconds: float
    cpu_seconds: float
    peak_rss_mib: float


@dataclass(frozen=True)
class Case:
    label: str
    command: list[str]
    out: Path | None = None


def measure(command: list[str]) -> Run:
    """One process, from spawn to exit; rusage of that child alone (wait4), not of all children so far."""
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(command)} exited {process.returncode}: {process.stderr.read().decode()}")
    process.stderr.close()
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024)


def registries_config(count: int) -> dict:
    """The dev stack with `count` registries, spread over accounts and regions."""
    stack = yaml.safe_load(stack_file("dev").read_text())
    stack["config"]["spinnaker-ecr:registries"] = [
        {"name": f"ecr-{index:04d}", "accountId": f"{100000000000 + index:012d}", "region": REGIONS[index % 5]}
        for index in range(count)
    ]
    return stack


def render_command(arguments: list[str], out: Path) -> list[str]:
    return [sys.executable, "-m", "tools.render", *arguments, "--out", str(out), "--format", "json", "--halyard"]


def cases(scratch: Path) -> list[Case]:
    found = [Case("floor: bare SDK import", [sys.executable, "-c", FLOOR])]
    found.append(Case("render stack dev", render_command(["--stack", "dev"], scratch / "dev"), scratch / "dev"))
    for count in REGISTRY_COUNTS:
        config_file = scratch / f"Pulumi.registries-{count}.yaml"
        config_file.write_text(yaml.safe_dump(registries_config(count)))
        out = scratch / f"registries-{count}"
        found.append(Case(f"render {count} registries", render_command(["--config-file", str(config_file)], out), out))
    return found


def rendered_kib(out: Path | None) -> str:
    if out is None:
        return "-"
    return f"{sum(p.stat().st_size for p in out.rglob('*') if p.is_file()) / 1024:.1f}"


def table(results: dict[str, list[Run]], all_cases: list[Case]) -> str:
    """Median and minimum: on a shared machine the minimum is the steadier estimate of the cost itself."""
    floor = results[all_cases[0].label]
    floor_median = statistics.median(run.wall_seconds for run in floor)
    floor_min = min(run.wall_seconds for run in floor)
    lines = [
        f"| case ({REPEATS} runs each) | median wall s | min wall s | over floor s (median / min) | median CPU s "
        "| peak RSS MiB | output KiB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for case in all_cases:
        runs = results[case.label]
        wall = statistics.median(run.wall_seconds for run in runs)
        fastest = min(run.wall_seconds for run in runs)
        lines.append(
            f"| {case.label} | {wall:.2f} | {fastest:.2f} | {wall - floor_median:+.2f} / {fastest - floor_min:+.2f} "
            f"| {statistics.median(run.cpu_seconds for run in runs):.2f} "
            f"| {max(run.peak_rss_mib for run in runs):.0f} | {rendered_kib(case.out)} |"
        )
    return "\n".join(lines)


def in_process_table() -> str:
    """The render alone, imports already warm: what each registry costs once the SDK is loaded."""
    from tools.render import render  # here, so the whole-process runs above measure a cold start only

    render("dev", registries_config(1)["config"], halyard=True)
    lines = [f"| registries | in-process render ms (median of {REPEATS}) |", "|---:|---:|"]
    for count in REGISTRY_COUNTS:
        config = registries_config(count)["config"]
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            render("bench", config, halyard=True)
            times.append(time.perf_counter() - started)
        lines.append(f"| {count} | {statistics.median(times) * 1000:.0f} |")
    return "\n".join(lines)


def cpu_model() -> str:
    cpuinfo = Path("/proc/cpuinfo")
    lines = cpuinfo.read_text().splitlines() if cpuinfo.exists() else []
    models = [line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")]
    return models[0] if models else platform.machine()


def machine() -> str:
    packages = ", ".join(f"{name} {version(name)}" for name in ("pulumi", "pulumi_aws", "pulumi_kubernetes", "PyYAML"))
    return (
        f"Machine: {os.cpu_count()} cores ({cpu_model()}), "
        f"Python {platform.python_version()} on {platform.system()} {platform.release()}; {packages}; "
        f"load average at the end {os.getloadavg()[0]:.2f}."
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as scratch:
        all_cases = cases(Path(scratch))
        results: dict[str, list[Run]] = {case.label: [] for case in all_cases}
        # Interleaved, so a slow moment of the machine touches every case alike.
        for _ in range(REPEATS):
            for case in all_cases:
                results[case.label].append(measure(case.command))
        print(table(results, all_cases))
    print()
    print(in_process_table())
    print()
    print(machine())


if __name__ == "__main__":
    main()
