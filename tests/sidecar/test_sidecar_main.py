"""main's command line: flags that are not valid exit 2 before anything runs; nothing slow runs before the handlers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ecr_token_refresh.main import _arguments, main

SIDECAR = Path(__file__).resolve().parents[2] / "sidecar"


@pytest.mark.parametrize("port", ["70000", "-1", "http", "\u0663\u0662\u0667\u0667"])
def test_health_port_must_be_a_port_number(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--health-port", port])
    assert exited.value.code == 2
    assert f"argument --health-port: '{port}' is not a port number from 0 to 65535" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("deadline", "reason"),
    [
        ("15", ": a number has no unit"),
        ("9ms", ""),
        ("5m1ns", ""),
        ("0s", ""),
        ("1d", ": 'd' is not a unit"),
    ],
)
def test_call_deadline_must_be_a_go_duration_from_10ms_to_5m(
    deadline: str, reason: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--call-deadline", deadline])
    assert exited.value.code == 2
    message = f"argument --call-deadline: {deadline!r} is not a Go duration from 10ms to 5m such as 15s{reason}"
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(("deadline", "seconds"), [("10ms", 0.01), ("15s", 15.0), ("5m", 300.0), ("1.5s", 1.5)])
def test_call_deadline_in_seconds(deadline: str, seconds: float) -> None:
    assert _arguments(["--call-deadline", deadline]).call_deadline == seconds
    assert _arguments([]).call_deadline == 15.0


def test_flags_are_not_abbreviated(capsys: pytest.CaptureFixture[str]) -> None:
    # main tells an interrupted --once by its spelling: `--on` must not mean --once.
    with pytest.raises(SystemExit) as exited:
        main(["--on"])
    assert exited.value.code == 2
    assert "unrecognized arguments: --on" in capsys.readouterr().err


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
