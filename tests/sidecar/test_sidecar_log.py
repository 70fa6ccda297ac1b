"""log: one JSON line per event; a stream that cannot be written loses the line and raises nothing."""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime

import pytest
from ecr_token_refresh.log import FileDescriptorStream, JsonLog

NOW = datetime(2026, 1, 1, 12, 0, 0, 123456, tzinfo=UTC)


def test_one_json_line_per_event_with_time_level_event_and_fields() -> None:
    stream = io.StringIO()
    log = JsonLog(stream, lambda: NOW)
    log.info("started", registries=2)
    log.warning("expires_at_not_in_future", expiresAt=NOW)
    log.error("refresh_failed", error="boom")
    assert [json.loads(line) for line in stream.getvalue().splitlines()] == [
        {"time": "2026-01-01T12:00:00.123+00:00", "level": "info", "event": "started", "registries": 2},
        {
            "time": "2026-01-01T12:00:00.123+00:00",
            "level": "warning",
            "event": "expires_at_not_in_future",
            "expiresAt": "2026-01-01T12:00:00.123456+00:00",
        },
        {"time": "2026-01-01T12:00:00.123+00:00", "level": "error", "event": "refresh_failed", "error": "boom"},
    ]


class Broken(io.StringIO):
    def __init__(self, error: Exception) -> None:
        super().__init__()
        self.error = error

    def write(self, text: str) -> int:
        raise self.error


@pytest.mark.parametrize("error", [BrokenPipeError(32, "Broken pipe"), OSError(9, "Bad file descriptor")])
def test_a_stream_that_fails_loses_the_line_and_raises_nothing(error: Exception) -> None:
    JsonLog(Broken(error), lambda: NOW).error("refresh_failed", error="boom")


def test_a_closed_stream_loses_the_line_and_raises_nothing() -> None:
    stream = io.StringIO()
    stream.close()
    JsonLog(stream, lambda: NOW).info("started")


def test_the_descriptor_stream_writes_everything_unbuffered() -> None:
    reader, writer = os.pipe()
    try:
        stream = FileDescriptorStream(writer)
        stream.write("é" * 10_000 + "\n")
        stream.flush()
        os.close(writer)
        received = b""
        while chunk := os.read(reader, 65536):
            received += chunk
    finally:
        os.close(reader)
    assert received.decode() == "é" * 10_000 + "\n"


def test_the_descriptor_stream_of_a_gone_reader_fails_with_epipe_which_the_log_drops() -> None:
    reader, writer = os.pipe()
    os.close(reader)
    try:
        with pytest.raises(BrokenPipeError):
            FileDescriptorStream(writer).write("x\n")
        JsonLog(FileDescriptorStream(writer), lambda: NOW).info("started")
    finally:
        os.close(writer)
