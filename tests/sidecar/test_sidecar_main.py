"""main's command line: flags that are not valid exit 2 before anything runs; nothing slow runs before the handlers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ecr_token_refresh.main import main

SIDECAR = Path(__file__).resolve().parents[2] / "sidecar"


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_health_port_must_be_a_port_number(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--health-port", port])
    assert exited.value.code == 2
    assert f"argument --health-port: '{port}' is not a port number from 0 to 65535" in capsys.readouterr().err


def test_loading_main_does_not_import_boto3() -> None:
    # boto3's import takes a large share of a second; main installs the SIGTERM handler first, so it must come later.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ecr_token_refresh.main; print(sorted({m.split('.')[0] for m in sys.modules}))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SIDECAR)},
    ).stdout
    assert "'boto3'" not in loaded
    assert "'botocore'" not in loaded
