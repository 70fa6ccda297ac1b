"""Atomic password file write: readers see the old file or the new one, never a partial or missing one."""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
from collections.abc import Iterable

# clouddriver runs as another user and reads the file on every registry request.
FILE_MODE = 0o644
# `.<password file name>.<16 hex digits>.tmp`, beside the password file: the only files the sweep may remove.
_TEMPORARY_NAME = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{16}\.tmp")


def write_password(path: str, password: str) -> None:
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    # Named before it is created, so the cleanup also covers a signal that lands while it is being created.
    temporary = os.path.join(directory, temporary_name(os.path.basename(path)))
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


def temporary_name(name: str) -> str:
    return f".{name}.{secrets.token_hex(8)}.tmp"


def remove_stale_temporary_files(password_files: Iterable[str]) -> tuple[list[str], list[tuple[str, str]]]:
    """Remove what a killed write left beside these password files: only our temporary files of these names.

    Returns the removed paths and the (path, error) of those that could not be removed. Run at start, before any
    write of this process: the password directory belongs to one sidecar.
    """
    names_by_directory: dict[str, set[str]] = {}
    for path in password_files:
        names_by_directory.setdefault(os.path.dirname(path), set()).add(os.path.basename(path))
    removed: list[str] = []
    failed: list[tuple[str, str]] = []
    for directory, names in names_by_directory.items():
        try:
            entries = os.listdir(directory)
        except OSError:
            continue  # not created yet, or not ours to read: nothing of ours can be in it
        for entry in sorted(entries):
            match = _TEMPORARY_NAME.fullmatch(entry)
            if match is None or match["name"] not in names:
                continue
            path = os.path.join(directory, entry)
            try:
                if stat.S_ISREG(os.lstat(path).st_mode):
                    os.unlink(path)
                    removed.append(path)
            except OSError as error:
                failed.append((path, error.strerror or str(error)))
    return removed, failed


def _fsync_directory(directory: str) -> None:
    # Makes the rename itself durable.
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
