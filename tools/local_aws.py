"""A local AWS API — moto's server on loopback — for the sidecar tests and benchmarks."""

from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MOTO_SERVER = Path(sys.executable).parent / "moto_server"
START_SECONDS = 30.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def local_aws_env(endpoint: str) -> dict[str, str]:
    """The environment in which the sidecar or the AWS CLI talks to `endpoint` with dummy keys, ignoring ~/.aws."""
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
    # With the config file at /dev/null, a named profile would not be found.
    env.pop("AWS_PROFILE", None)
    return env


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
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self._accepts_connections():
                return
            time.sleep(0.05)
        self.process.kill()
        self.process.wait(timeout=10)
        self.process = None
        raise RuntimeError(f"moto_server on port {self.port} did not start within {START_SECONDS:.0f} s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def forget_calls(self) -> None:
        self.recording.write_text("")

    def token_calls(self) -> list[tuple[str, list[str]]]:
        """(region, registryIds) of every GetAuthorizationToken request received; the AWS CLI sends no ids."""
        if not self.recording.exists():
            return []
        calls = []
        for line in self.recording.read_text().splitlines():
            request = json.loads(line)
            if request["headers"].get("X-Amz-Target", "").endswith(".GetAuthorizationToken"):
                region = request["headers"]["Authorization"].split("Credential=")[1].split("/")[2]
                body = json.loads(base64.b64decode(request["body"]) if request["body_encoded"] else request["body"])
                calls.append((region, body.get("registryIds", [])))
        return calls

    def _accepts_connections(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
        except OSError:
            return False
        return True
