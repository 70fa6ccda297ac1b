"""Processes for end-to-end tests: moto's server on loopback (a real local AWS API) and the sidecar, as in a pod."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
WAIT = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def moto_password(registry_id: str) -> str:
    """What moto's GetAuthorizationToken hands out for a registry, after the 'AWS:' prefix."""
    return f"{registry_id}-auth-token"


def wait_until(condition: Callable[[], Any], timeout: float = WAIT, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


class MotoServer:
    """moto_server on 127.0.0.1; its request recorder is the independent count of API calls."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.recording = directory / "moto-recording.jsonl"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {**os.environ, "MOTO_ENABLE_RECORDING": "True", "MOTO_RECORDER_FILEPATH": str(self.recording)}
        self.process = subprocess.Popen(
            [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(self.port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(self._accepts_connections, what=f"moto_server on port {self.port}")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def forget_calls(self) -> None:
        self.recording.write_text("")

    def token_calls(self) -> list[tuple[str, list[str]]]:
        """(region, registryIds) of every GetAuthorizationToken request the server received."""
        if not self.recording.exists():
            return []
        calls = []
        for line in self.recording.read_text().splitlines():
            request = json.loads(line)
            if request["headers"].get("X-Amz-Target", "").endswith(".GetAuthorizationToken"):
                region = request["headers"]["Authorization"].split("Credential=")[1].split("/")[2]
                body = json.loads(base64.b64decode(request["body"]) if request["body_encoded"] else request["body"])
                calls.append((region, body["registryIds"]))
        return calls

    def _accepts_connections(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True


class Sidecar:
    """`python -m ecr_token_refresh` in its own process; its JSON log lines are collected as they arrive."""

    def __init__(self, config: Path, endpoint: str, *arguments: str) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(REPO / "sidecar"),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_CONFIG_FILE": os.devnull,
            "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
            "AWS_EC2_METADATA_DISABLED": "true",
        }
        env.pop("AWS_PROFILE", None)
        command = [sys.executable, "-m", "ecr_token_refresh", "--config", str(config), *arguments]
        self.process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
        self.lines: list[dict[str, Any]] = []
        self.raw = ""
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

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

    def health(self) -> tuple[int, dict[str, Any]]:
        port = self.wait_for("started")[0]["healthPort"]
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
        return code, elapsed

    def finish(self, timeout: float = WAIT) -> int:
        code = self.process.wait(timeout=timeout)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
