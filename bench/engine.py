"""Benchmark: a real `pulumi preview` of a stack (the CLI, the Python language host and the Kubernetes provider
built by `make e2e-tools`, against a local API server) beside the offline render of the same stack file.

Run from the repository root after `make e2e-tools`: .venv/bin/python -m bench.engine
The stack is an existing-role stack (no AWS provider, which cannot be built here) with the sidecar method and one
registry, against a SpinnakerService in the local cluster. Prints a markdown table; the README holds one run.
"""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.render import measure
from tests.e2e.conftest import stack_config
from tests.e2e.spinnaker_objects import create_ops_service_account, create_ops_spinnaker_service
from tests.support.pulumi_project import PulumiProject
from tools import cluster
from tools.kubernetes_api import KubernetesApi, credentials_from_kubeconfig, resource_path

REPEATS = 5
NAMESPACE = "bench"


def timed(command: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, capture_output=True, timeout=600)
    return time.perf_counter() - started


def main() -> int:
    with tempfile.TemporaryDirectory() as scratch:
        base = Path(scratch)
        kubeconfig = cluster.up(base / "cluster")
        try:
            api = KubernetesApi(credentials_from_kubeconfig(kubeconfig))
            namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NAMESPACE}}
            api.apply(resource_path("v1", "namespaces", name=NAMESPACE), namespace, manager="bench")
            create_ops_spinnaker_service(api, NAMESPACE)
            create_ops_service_account(api, NAMESPACE)
            project = PulumiProject.create(base / "work", "bench", kubeconfig)
            project.write_config(stack_config(kubeconfig, NAMESPACE))
            preview = ["pulumi", "preview", "--non-interactive", "--stack", "bench"]
            timed(preview, project.directory, project.environment)  # the first run loads plugins cold
            previews = [timed(preview, project.directory, project.environment) for _ in range(REPEATS)]
            render = [
                sys.executable,
                "-m",
                "tools.render",
                "--config-file",
                str(project.stack_file),
                "--out",
                str(base / "rendered"),
            ]
            renders = [measure(render).wall_seconds for _ in range(REPEATS)]
        finally:
            cluster.down(base / "cluster")
    print(f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}")
    print("| one stack (existing-role, sidecar, one registry) | median s | min s | max s |")
    print("|---|---:|---:|---:|")
    for label, runs in (
        ("`pulumi preview` (real engine, local API server)", previews),
        ("`python -m tools.render` (mock runtime, offline)", renders),
    ):
        print(f"| {label} | {statistics.median(runs):.2f} | {min(runs):.2f} | {max(runs):.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
