"""What the refresher last achieved for each registry; written by the refresh loop, read by health and schedule."""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ecr_token_refresh.config import Registry


@dataclass(frozen=True)
class RegistryStatus:
    registry: Registry
    refreshed_at: datetime | None = None
    expires_at: datetime | None = None
    last_error: str | None = None
    last_error_at: datetime | None = None


class Status:
    """Thread-safe: the health server reads it while the refresh loop writes it."""

    def __init__(self, registries: tuple[Registry, ...]) -> None:
        self._lock = threading.Lock()
        self._by_file = {registry.password_file: RegistryStatus(registry) for registry in registries}

    def succeeded(self, registry: Registry, refreshed_at: datetime, expires_at: datetime) -> None:
        self._update(registry, refreshed_at=refreshed_at, expires_at=expires_at)

    def failed(self, registry: Registry, at: datetime, error: str) -> None:
        self._update(registry, last_error=error, last_error_at=at)

    def snapshot(self) -> tuple[RegistryStatus, ...]:
        with self._lock:
            return tuple(self._by_file.values())

    def _update(self, registry: Registry, **changes: Any) -> None:
        with self._lock:
            current = self._by_file[registry.password_file]
            self._by_file[registry.password_file] = dataclasses.replace(current, **changes)
