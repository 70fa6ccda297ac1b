"""Atomic password file write: readers see the old file or the new one, never a partial or missing one."""

from __future__ import annotations

import contextlib
import os
import tempfile

# clouddriver runs as another user and reads the file on every registry request.
FILE_MODE = 0o644


def write_password(path: str, password: str) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix=f".{os.path.basename(path)}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as file:
            # Exactly the password: clouddriver does not trim this file, so a newline would break auth.
            file.write(password.encode("utf-8"))
            os.fchmod(file.fileno(), FILE_MODE)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
