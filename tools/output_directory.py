"""Put a whole render in place at once: written beside the target, then swapped in, so a failed or interrupted
render never leaves a half-written directory and stale files from an earlier render never linger."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path


class OutputDirectoryError(ValueError):
    """The target exists and is not something this render may replace."""


def check_replaceable(out: Path, marker: str) -> None:
    """Only an empty directory or an earlier render (it holds `marker`) is replaced: `--out .` must not wipe a tree."""
    if not out.exists():
        return
    if not out.is_dir():
        raise OutputDirectoryError(f"--out: {str(out)!r} is a file, not a directory")
    if any(out.iterdir()) and not (out / marker).is_file():
        raise OutputDirectoryError(
            f"--out: {str(out)!r} exists and is not an earlier render (no {marker}); "
            "give a new or empty directory, or remove it"
        )


def write_files(root: Path, files: Mapping[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        # Bytes, not text mode: the same render gives the same bytes on every platform.
        path.write_bytes(text.encode("utf-8"))


def replace_directory(out: Path, files: Mapping[str, str], marker: str) -> None:
    """Make `out` hold exactly `files` (relative path -> text)."""
    check_replaceable(out, marker)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", suffix=".new", dir=out.parent))
    retired = staging.with_suffix(".old")
    try:
        staging.chmod(0o777 & ~current_umask())
        write_files(staging, files)
        if out.exists():
            out.rename(retired)
        staging.rename(out)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if retired.exists() and not out.exists():
            retired.rename(out)
        raise
    shutil.rmtree(retired, ignore_errors=True)


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
