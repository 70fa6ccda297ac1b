"""log: one JSON line per event; a stream that cannot be written loses the line and raises nothing."""

from __future__ import annotations

import contextlib
import io
import json
import os
import select
import threading
import time
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


def fill(write_end: int) -> None:
    os.set_blocking(write_end, False)
    with contextlib.suppress(BlockingIOError):
        while True:
            os.write(write_end, b"x" * 65536)
    os.set_blocking(write_end, True)


def full_pipe() -> tuple[int, int]:
    read_end, write_end = os.pipe()
    fill(write_end)
    return read_end, write_end


def drain(descriptor: int) -> bytes:
    os.set_blocking(descriptor, False)
    received = b""
    with contextlib.suppress(BlockingIOError):
        while chunk := os.read(descriptor, 65536):
            received += chunk
    return received


def timed_timeout(stream: FileDescriptorStream, text: str) -> float:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        stream.write(text)
    return time.monotonic() - started


def test_a_reader_that_does_not_read_costs_one_wait_then_lines_are_dropped_at_once() -> None:
    read_end, write_end = full_pipe()
    try:
        stream = FileDescriptorStream(write_end, wait_seconds=0.3)
        assert 0.3 <= timed_timeout(stream, "first\n") < 0.8
        assert timed_timeout(stream, "second\n") < 0.1
        # The reader reads again: the next line goes through whole, and a later stall costs one wait again.
        assert set(drain(read_end)) == {ord("x")}
        stream.write("third\n")
        assert drain(read_end) == b"third\n"
        fill(write_end)
        assert 0.3 <= timed_timeout(stream, "fourth\n") < 0.8
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_line_longer_than_pipe_buf_arrives_whole_for_a_reader_that_reads() -> None:
    read_end, write_end = os.pipe()
    line = "y" * (select.PIPE_BUF * 40) + "\n"  # more than a pipe holds: the reader must read while it is written
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(b"".join(iter(lambda: os.read(read_end, 4096), b""))))
    reader.start()
    try:
        FileDescriptorStream(write_end, wait_seconds=5).write(line)
    finally:
        os.close(write_end)
        reader.join(timeout=10)
        os.close(read_end)
    assert received == [line.encode()]


def test_the_log_drops_a_line_nobody_reads_and_goes_on() -> None:
    read_end, write_end = full_pipe()
    try:
        log = JsonLog(FileDescriptorStream(write_end, wait_seconds=0.1), lambda: NOW)
        log.info("started")
        log.info("round_finished")
        drain(read_end)
        log.info("password_written")
        assert json.loads(drain(read_end))["event"] == "password_written"
    finally:
        os.close(read_end)
        os.close(write_end)


def test_by_default_a_line_waits_one_second() -> None:
    read_end, write_end = full_pipe()
    try:
        assert 1.0 <= timed_timeout(FileDescriptorStream(write_end), "line\n") < 1.5
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_wait_already_over_never_blocks() -> None:
    """A deadline in the past is no wait at all (poll's -1 would be forever)."""
    read_end, write_end = full_pipe()
    failed: list[BaseException] = []

    def write() -> None:
        try:
            FileDescriptorStream(write_end, wait_seconds=-5).write("line\n")
        except BaseException as error:
            failed.append(error)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    writer.join(timeout=2)
    stuck = writer.is_alive()
    os.close(read_end)  # a stuck write ends with EPIPE
    writer.join(timeout=2)
    os.close(write_end)
    assert not stuck
    assert [type(error) for error in failed] == [TimeoutError]
