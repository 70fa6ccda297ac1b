"""contract: the facts the program and the policy pack import from the sidecar, and the daemon living by them."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from ecr_token_refresh import contract, health, schedule
from ecr_token_refresh.main import main

SIDECAR = Path(__file__).resolve().parents[2] / "sidecar"


def test_the_pod_layout() -> None:
    assert contract.CONTAINER_NAME == "token-refresh"
    assert contract.CONFIG_PATH == "/opt/config/ecr-token-refresh/config.yaml"
    assert (contract.CONFIG_DIRECTORY, contract.CONFIG_KEY) == ("/opt/config/ecr-token-refresh", "config.yaml")
    assert contract.PASSWORD_DIRECTORY == "/etc/passwords"
    assert timedelta(hours=12) == contract.TOKEN_LIFETIME
    assert (contract.HEALTH_PORT, contract.HEALTH_PATHS) == (3277, ("/healthz", "/health"))


def test_an_accounts_password_file() -> None:
    assert contract.password_file("ecr-prod") == "/etc/passwords/ecr-prod.pass"


@pytest.mark.parametrize("name", ["", "a/b", "../x", "a\0b"])
def test_a_name_that_cannot_be_a_file_name_is_refused(name: str) -> None:
    with pytest.raises(ValueError) as raised:
        contract.password_file(name)
    assert str(raised.value) == (
        f"account name {name!r} cannot name a password file (accepted: a non-empty name without '/' or NUL)"
    )


def test_the_daemon_reads_its_config_from_the_contracts_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # Changing the path in contract.py is all it takes to change the daemon's default.
    elsewhere = tmp_path / "elsewhere" / "config.yaml"
    monkeypatch.setattr(contract, "CONFIG_PATH", str(elsewhere))
    assert main(["--once"]) == 2
    (line,) = [json.loads(line) for line in capfd.readouterr().out.splitlines()]
    assert (line["event"], line["config"]) == ("config_invalid", str(elsewhere))
    assert line["errors"] == [f"config file {elsewhere}: not found"]


def test_the_daemon_lives_by_the_contracts_lifetime_and_paths() -> None:
    assert schedule.ASSUMED_TOKEN_LIFETIME is contract.TOKEN_LIFETIME
    assert health.PATHS is contract.HEALTH_PATHS


def test_the_shared_modules_import_neither_boto3_nor_yaml() -> None:
    # The program and the policy pack import them; they must stay cheap to import.
    loaded = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys, ecr_token_refresh.contract, ecr_token_refresh.duration; "
            "print(sorted({m.split('.')[0] for m in sys.modules}))",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(SIDECAR)},
    ).stdout
    for heavy in ("boto3", "botocore", "yaml"):
        assert f"'{heavy}'" not in loaded
