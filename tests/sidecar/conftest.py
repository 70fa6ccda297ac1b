"""Fixtures for the sidecar tests: moto's server on a free loopback port, started and stopped around the tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
from hypothesis import settings
from sidecar_processes import MODULE_ENTRY, Sidecar

from tools.local_aws import MotoServer

# No example database: nothing written into the work tree, every run draws afresh.
settings.register_profile("sidecar", database=None, deadline=None)
settings.load_profile("sidecar")


@pytest.fixture(scope="session")
def moto(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    server = MotoServer(tmp_path_factory.mktemp("moto"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def own_moto(tmp_path: Path) -> Iterator[MotoServer]:
    """A server this test alone may stop and restart."""
    server = MotoServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sidecars() -> Iterator[Callable[..., Sidecar]]:
    started: list[Sidecar] = []

    def start(
        config: Path,
        endpoint: str,
        *arguments: str,
        env: dict[str, str] | None = None,
        entry: Sequence[str] = MODULE_ENTRY,
    ) -> Sidecar:
        sidecar = Sidecar(config, endpoint, *arguments, env=env, entry=entry)
        started.append(sidecar)
        return sidecar

    yield start
    for sidecar in started:
        sidecar.kill()
