"""One JSON object per line on stdout, one line per event."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, TextIO


class JsonLog:
    def __init__(self, stream: TextIO, now: Callable[[], datetime]) -> None:
        self._stream = stream
        self._now = now

    def info(self, event: str, **fields: Any) -> None:
        self._emit("info", event, fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._emit("warning", event, fields)

    def error(self, event: str, **fields: Any) -> None:
        self._emit("error", event, fields)

    def _emit(self, level: str, event: str, fields: dict[str, Any]) -> None:
        record = {"time": self._now().isoformat(timespec="milliseconds"), "level": level, "event": event, **fields}
        self._stream.write(json.dumps(record, default=_text) + "\n")
        self._stream.flush()


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
