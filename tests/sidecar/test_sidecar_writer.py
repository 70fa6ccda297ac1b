"""writer.write_password: exact bytes, mode 0644, directories created, replaced by rename, no leftovers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from ecr_token_refresh.writer import remove_stale_temporary_files, temporary_name, write_password


def test_writes_exactly_the_password_without_a_newline(tmp_path: Path) -> None:
    path = tmp_path / "prod.pass"
    write_password(str(path), "s3cr3t")
    assert path.read_bytes() == b"s3cr3t"


def test_file_is_world_readable_whatever_the_umask(tmp_path: Path) -> None:
    path = tmp_path / "prod.pass"
    previous = os.umask(0o077)
    try:
        write_password(str(path), "s3cr3t")
    finally:
        os.umask(previous)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_creates_missing_directories(tmp_path: Path) -> None:
    path = tmp_path / "etc" / "passwords" / "prod.pass"
    write_password(str(path), "s3cr3t")
    assert path.read_bytes() == b"s3cr3t"


def test_replaces_the_file_by_rename_so_an_open_reader_keeps_the_old_content(tmp_path: Path) -> None:
    path = tmp_path / "prod.pass"
    write_password(str(path), "old-password")
    with path.open("rb") as reader:
        old_inode = os.fstat(reader.fileno()).st_ino
        write_password(str(path), "new")
        assert reader.read() == b"old-password"
    assert path.read_bytes() == b"new"
    assert path.stat().st_ino != old_inode
    assert os.listdir(tmp_path) == ["prod.pass"]


def test_a_failed_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "prod.pass"
    target.mkdir()
    with pytest.raises(IsADirectoryError):
        write_password(str(target), "s3cr3t")
    assert os.listdir(tmp_path) == ["prod.pass"]
    assert target.is_dir()


class SignalArrived(BaseException):
    """Like the sidecar's Stopped: raised by a signal handler wherever the main thread happens to be."""


def test_a_signal_right_after_the_temporary_file_is_created_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The window between creating the temporary file and entering the cleanup scope, made deterministic.
    target = tmp_path / "prod.pass"
    target.write_bytes(b"last-good")
    real_open = os.open

    def open_then_signal(path: str, flags: int, mode: int = 0o777, **kwargs: object) -> int:
        descriptor = real_open(path, flags, mode, **kwargs)
        if str(path).endswith(".tmp"):
            os.close(descriptor)
            raise SignalArrived
        return descriptor

    monkeypatch.setattr(os, "open", open_then_signal)
    with pytest.raises(SignalArrived):
        write_password(str(target), "s3cr3t")
    assert os.listdir(tmp_path) == ["prod.pass"]
    assert target.read_bytes() == b"last-good"


def test_the_temporary_file_is_named_for_the_sweep() -> None:
    name = temporary_name("prod.pass")
    assert name.startswith(".prod.pass.")
    assert name.endswith(".tmp")
    assert len(name) == len(".prod.pass.") + 16 + len(".tmp")
    assert temporary_name("prod.pass") != name


def test_the_sweep_removes_only_our_temporary_files_of_configured_names(tmp_path: Path) -> None:
    passwords = tmp_path / "passwords"
    passwords.mkdir()
    ours = [
        passwords / temporary_name("prod.pass"),
        passwords / temporary_name("prod.pass"),
        passwords / ".a.b.pass.0123456789abcdef.tmp",
    ]
    kept = [
        passwords / "prod.pass",
        passwords / ".other.pass.0123456789abcdef.tmp",  # not a configured file's
        passwords / ".prod.pass.0123456789ABCDEF.tmp",  # not our naming: upper-case hex
        passwords / ".prod.pass.0123456789abcde.tmp",  # 15 digits
        passwords / "prod.pass.0123456789abcdef.tmp",  # no leading dot
        passwords / ".prod.pass.0123456789abcdef.tmp.bak",
    ]
    for path in ours + kept:
        path.write_text("secret")
    directory_of_our_name = passwords / ".prod.pass.fedcba9876543210.tmp"
    directory_of_our_name.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / ".prod.pass.0123456789abcdef.tmp").write_text("secret")  # not a password directory of ours
    removed, failed = remove_stale_temporary_files(
        # A directory that does not exist yet comes first: the others are still swept.
        [str(tmp_path / "absent" / "x.pass"), str(passwords / "prod.pass"), str(passwords / "a.b.pass")]
    )
    assert sorted(removed) == sorted(str(path) for path in ours)
    assert failed == []
    assert all(path.exists() for path in kept)
    assert directory_of_our_name.is_dir()
    assert (elsewhere / ".prod.pass.0123456789abcdef.tmp").exists()
