"""Atomic password file write: readers see the old file or the new one, never a partial or missing one."""

from __future__ import annotations

import contextlib
import os
import secrets

# clouddriver runs as another user and reads the file on every registry request.
FILE_MODE = 0o644


def write_password(path: str, password: str) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    # Named before it is created, so the cleanup also covers a signal that lands while it is being created.
    temporary = os.path.join(directory, f".{os.path.basename(path)}.{secrets.token_hex(8)}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
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
