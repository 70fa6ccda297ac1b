"""One JSON object per line on stdout, one line per event. A log that cannot be written never stops the refresh."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol


class Stream(Protocol):
    def write(self, text: str, /) -> Any: ...
    def flush(self) -> Any: ...


class FileDescriptorStream:
    """Writes straight to a file descriptor: no buffer, so nothing is left to fail when the process exits."""

    def __init__(self, descriptor: int) -> None:
        self._descriptor = descriptor

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        while data:
            data = data[os.write(self._descriptor, data) :]

    def flush(self) -> None:
        pass


class JsonLog:
    def __init__(self, stream: Stream, now: Callable[[], datetime]) -> None:
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
        line = json.dumps(record, default=_text) + "\n"
        try:
            self._stream.write(line)
            self._stream.flush()
        # A closed stdout, a reader gone (EPIPE), a full disk: the line is lost, the passwords still matter.
        except (OSError, ValueError):
            pass


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
