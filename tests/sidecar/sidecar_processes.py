"""Processes for end-to-end tests: the sidecar, as in a pod, against moto's server on loopback (tools/local_aws)."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

# The tests import MotoServer and free_port from tools.local_aws themselves; only the environment is needed here.
from tools.local_aws import local_aws_env

WAIT = 30.0
PYPROJECT = Path(__file__).resolve().parents[2] / "sidecar" / "pyproject.toml"


# What moto's GetAuthorizationToken hands out when asked without registryIds, after the 'AWS:' prefix: the password
# of the caller's own account (moto's default, 123456789012), which opens every registry the caller may read.
MOTO_PASSWORD = "123456789012-auth-token"


def wait_until(condition: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


MODULE_ENTRY = (sys.executable, "-m", "ecr_token_refresh")


def console_script_entry() -> tuple[str, ...]:
    """What the installed `ecr-token-refresh` command runs: the entry point sidecar/pyproject.toml declares, called as
    the script pip and uv generate calls it."""
    scripts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["project"]["scripts"]
    module, function = scripts["ecr-token-refresh"].split(":")
    return (sys.executable, "-c", f"import sys; from {module} import {function}; sys.exit({function}())")


class Sidecar:
    """`python -m ecr_token_refresh` in its own process; its JSON log lines are collected as they arrive."""

    def __init__(
        self,
        config: Path,
        endpoint: str,
        *arguments: str,
        env: dict[str, str] | None = None,
        entry: Sequence[str] = MODULE_ENTRY,
    ) -> None:
        command = [*entry, "--config", str(config), *arguments]
        self.process = subprocess.Popen(
            command,
            env=local_aws_env(endpoint) | (env or {}),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: list[dict[str, Any]] = []
        self.raw = ""
        self.stderr = ""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self._stderr_reader = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_reader.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr += line

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self._changed:
                self.raw += line
                self.lines.append(json.loads(line))
                self._changed.notify_all()

    def events(self, name: str) -> list[dict[str, Any]]:
        with self._changed:
            return [line for line in self.lines if line["event"] == name]

    def wait_for(self, name: str, count: int = 1, timeout: float = WAIT) -> list[dict[str, Any]]:
        """Blocks until the log holds `count` lines of event `name`."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.events(name)) >= count, timeout=timeout):
                raise AssertionError(f"no {count} x {name} within {timeout}s; log:\n{self.raw}")
            return self.events(name)

    @property
    def health_port(self) -> int:
        return self.wait_for("started")[0]["healthPort"]

    def health(self) -> tuple[int, dict[str, Any]]:
        port = self.health_port
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, float]:
        """Sends the signal; returns the exit code and the seconds until exit."""
        started = time.monotonic()
        self.process.send_signal(signum)
        code = self.process.wait(timeout=10)
        elapsed = time.monotonic() - started
        self._reader.join(timeout=5)
        self._stderr_reader.join(timeout=5)
        return code, elapsed

    def finish(self, timeout: float = WAIT) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        self._stderr_reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
