"""The real Pulumi CLI on this project: a throwaway copy of the project layout (links to the program), a file backend,
a passphrase, no plugin downloads, and the binaries `make e2e-tools` built.

The Python language host is built from the last sdk/v3 release that still carried it (docs/e2e.md): it does not read
the `virtualenv` runtime option the way today's CLI passes it, so the project's .venv goes first on PATH and the host's
`python3` is the program's interpreter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.pulumi_yaml import dump_yaml

ROOT = Path(__file__).resolve().parents[2]
BIN_DIR = ROOT / ".e2e" / "bin"
VENV_BIN = ROOT / ".venv" / "bin"
TOOLS = (
    "pulumi",
    "pulumi-language-python",
    "pulumi-language-python-exec",
    "pulumi-resource-kubernetes",
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
)
# What a project needs beside Pulumi.yaml: the program and the packages it imports.
PROGRAM = ("__main__.py", "components", "sidecar", "Pulumi.yaml")
PASSPHRASE = "spinnaker-ecr-e2e"
SCHEMA_LINE = "# yaml-language-server: $schema=stack-file.schema.json"


def missing_tools() -> list[str]:
    return [name for name in TOOLS if not (BIN_DIR / name).exists()]


def cli_environment(home: Path, backend: Path, kubeconfig: Path | None = None) -> dict[str, str]:
    environment = {
        "PATH": os.pathsep.join([str(VENV_BIN), str(BIN_DIR), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "PULUMI_HOME": str(home / ".pulumi"),
        "PULUMI_BACKEND_URL": backend.as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_SKIP_CONFIRMATIONS": "true",
        "PYTHONDONTWRITEBYTECODE": "1",
        "NO_COLOR": "1",
        # Enables --event-log (as the Automation API does): the engine's own record of each step, in order.
        "PULUMI_DEBUG_COMMANDS": "true",
    }
    if kubeconfig is not None:
        environment["KUBECONFIG"] = str(kubeconfig)
    return environment


@dataclass
class PulumiProject:
    """One stack of this project in its own directory and backend."""

    directory: Path
    stack: str
    environment: dict[str, str]
    runs: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    @classmethod
    def create(cls, base: Path, stack: str, kubeconfig: Path | None) -> PulumiProject:
        directory = base / "project"
        (directory / "stacks").mkdir(parents=True)
        for name in PROGRAM:
            target = directory / name
            if name == "Pulumi.yaml":
                shutil.copyfile(ROOT / name, target)
            else:
                target.symlink_to(ROOT / name)
        (directory / ".venv").symlink_to(ROOT / ".venv")
        shutil.copyfile(ROOT / "stacks" / "stack-file.schema.json", directory / "stacks" / "stack-file.schema.json")
        (base / "state").mkdir()
        (base / "home").mkdir()
        project = cls(directory, stack, cli_environment(base / "home", base / "state", kubeconfig))
        project.run("stack", "init", stack)
        return project

    @property
    def stack_file(self) -> Path:
        return self.directory / "stacks" / f"Pulumi.{self.stack}.yaml"

    def write_config(self, config: Mapping[str, Any]) -> None:
        text = dump_yaml({"config": dict(config)})
        self.write_stack_text(f"{SCHEMA_LINE}\n{text}")

    def write_stack_text(self, text: str) -> None:
        self.stack_file.write_text(text, encoding="utf-8")

    def run(
        self, *args: str, check: bool = True, timeout: float = 600, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        command = ["pulumi", *args, "--non-interactive"]
        if args[0] not in ("stack", "plugin", "version"):
            command += ["--stack", self.stack]
        finished = subprocess.run(
            command,
            cwd=self.directory,
            env={**self.environment, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        self.runs.append(finished)
        if check and finished.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} exited {finished.returncode}\n--- stdout\n{finished.stdout}\n"
                f"--- stderr\n{finished.stderr}"
            )
        return finished

    def popen(self, *args: str) -> subprocess.Popen[str]:
        """A command left running, for a test that must act (as a controller would) while it waits."""
        return subprocess.Popen(
            ["pulumi", *args, "--non-interactive", "--stack", self.stack],
            cwd=self.directory,
            env=self.environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )

    def up(self, *extra: str, check: bool = True, events: Path | None = None) -> subprocess.CompletedProcess[str]:
        arguments = ["up", "--yes", "--skip-preview", *extra]
        if events is not None:
            arguments += ["--event-log", str(events)]
        return self.run(*arguments, check=check)

    def preview(self, *extra: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("preview", *extra, check=check)

    def destroy(self, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self.run("destroy", "--yes", "--skip-preview", check=check)

    def outputs(self) -> dict[str, Any]:
        return json.loads(self.run("stack", "output", "--json", "--stack", self.stack).stdout)

    def resources(self) -> list[dict[str, Any]]:
        """The stack's state: every resource's type, URN and outputs."""
        exported = json.loads(self.run("stack", "export", "--stack", self.stack).stdout)
        return exported["deployment"].get("resources") or []


def engine_events(path: Path) -> list[dict[str, Any]]:
    """The `--event-log` stream: one JSON event per line, in the engine's order."""
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def steps(events: Sequence[Mapping[str, Any]]) -> list[tuple[str, str, str]]:
    """(op, type, name) of each step the engine finished, in order (resOutputsEvent: the step is done)."""
    done = []
    for event in events:
        outputs = event.get("resOutputsEvent")
        if outputs:
            metadata = outputs["metadata"]
            urn = metadata["urn"]
            done.append((metadata["op"], metadata["type"], urn.rsplit("::", 1)[-1]))
    return done
