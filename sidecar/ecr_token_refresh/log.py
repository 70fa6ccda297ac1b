"""One JSON object per line on stdout, one line per event. A log that cannot be written never stops the refresh."""

from __future__ import annotations

import json
import math
import os
import select
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

# How long one log line may wait for a reader that does not read: the refresh goes on without the line.
WRITE_WAIT_SECONDS = 1.0


class Stream(Protocol):
    def write(self, text: str, /) -> Any: ...
    def flush(self) -> Any: ...


class FileDescriptorStream:
    """Writes straight to a file descriptor: no buffer, so nothing is left to fail when the process exits.

    A reader that keeps its end of a pipe open but stops reading would block a plain write, and the refresh with it:
    a line waits at most `wait_seconds` for room and is then given up (TimeoutError). After that, lines are written
    only if there is room at once, until one goes through whole: a stuck reader costs one wait, not one per line.
    Pieces of at most PIPE_BUF bytes go in whole once poll says there is room, so the write itself never blocks.
    """

    def __init__(self, descriptor: int, wait_seconds: float = WRITE_WAIT_SECONDS) -> None:
        self._descriptor = descriptor
        self._wait_seconds = wait_seconds
        self._poll = select.poll()
        self._poll.register(descriptor, select.POLLOUT)
        self._stalled = False

    def write(self, text: str) -> None:
        data = text.encode("utf-8")
        deadline = time.monotonic() + (0.0 if self._stalled else self._wait_seconds)
        while data:
            milliseconds = max(0, math.ceil((deadline - time.monotonic()) * 1000))
            if not self._poll.poll(milliseconds):
                self._stalled = True
                raise TimeoutError(f"no room on descriptor {self._descriptor}: the reader does not read")
            data = data[os.write(self._descriptor, data[: select.PIPE_BUF]) :]
        self._stalled = False

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
        # A closed stdout, a reader gone (EPIPE) or not reading, a full disk: the line is lost, the passwords
        # still matter.
        except (OSError, ValueError):
            pass


def _text(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)
