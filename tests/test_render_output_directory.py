"""The render's output directory is replaced whole or not at all, and only when it is an earlier render."""

from __future__ import annotations

from pathlib import Path

import pytest

from tools.output_directory import OutputDirectoryError, replace_directory

MARKER = "summary.json"


def tree(directory: Path) -> dict[str, str]:
    return {p.relative_to(directory).as_posix(): p.read_text() for p in sorted(directory.rglob("*")) if p.is_file()}


def test_a_write_that_fails_halfway_leaves_the_earlier_render_and_no_staging(tmp_path: Path) -> None:
    out = tmp_path / "dev"
    replace_directory(out, {MARKER: "{}\n", "kubernetes/a.yaml": "a\n"}, MARKER)
    # "x" is written as a file, so "x/y" cannot be: the write fails after the first file.
    with pytest.raises(OSError):
        replace_directory(out, {MARKER: "{}\n", "x": "file\n", "x/y": "nested\n"}, MARKER)
    assert tree(out) == {MARKER: "{}\n", "kubernetes/a.yaml": "a\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["dev"]


def test_creates_missing_parents_and_replaces_wholly(tmp_path: Path) -> None:
    out = tmp_path / "rendered" / "dev"
    replace_directory(out, {MARKER: "1\n", "old.yaml": "old\n"}, MARKER)
    replace_directory(out, {MARKER: "2\n", "new.yaml": "new\n"}, MARKER)
    assert tree(out) == {MARKER: "2\n", "new.yaml": "new\n"}
    assert [p.name for p in (tmp_path / "rendered").iterdir()] == ["dev"]


def test_an_empty_directory_may_be_used(tmp_path: Path) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    replace_directory(out, {MARKER: "{}\n"}, MARKER)
    assert tree(out) == {MARKER: "{}\n"}


@pytest.mark.parametrize("existing", ["a directory of someone's files", "a file"])
def test_never_replaces_what_it_did_not_write(existing: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    if existing == "a file":
        out.write_text("mine\n")
    else:
        out.mkdir()
        (out / "notes.txt").write_text("mine\n")
    with pytest.raises(OutputDirectoryError, match="--out: "):
        replace_directory(out, {MARKER: "{}\n"}, MARKER)
    assert (out.read_text() if out.is_file() else (out / "notes.txt").read_text()) == "mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]
