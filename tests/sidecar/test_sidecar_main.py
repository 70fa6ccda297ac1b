"""main's command line: flags that are not valid exit 2 before anything runs."""

from __future__ import annotations

import pytest
from ecr_token_refresh.main import main


@pytest.mark.parametrize("port", ["70000", "-1", "http"])
def test_health_port_must_be_a_port_number(port: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--health-port", port])
    assert exited.value.code == 2
    assert f"argument --health-port: '{port}' is not a port number from 0 to 65535" in capsys.readouterr().err
