"""The export directory: no symlink followed, nothing outside DIR, whole files or none."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from codegen_tasks.errors import ExportError
from codegen_tasks.export.merge import FileAction, FileChange, FileMerge
from codegen_tasks.export.tree import apply_merges, read_file


def _write(path: str, content: str) -> FileMerge:
    return FileMerge(change=FileChange(path=path, action=FileAction.REPLACED), content=content)


def test_reads_files_and_absent_ones(tmp_path: Path) -> None:
    (tmp_path / "s" / "src").mkdir(parents=True)
    (tmp_path / "s" / "src" / "a.ts").write_bytes(b"x\n")
    assert read_file(tmp_path, "s/src/a.ts") == b"x\n"
    assert read_file(tmp_path, "s/src/missing.ts") is None
    assert read_file(tmp_path, "s/nofolder/missing.ts") is None


@pytest.mark.parametrize("bad", ["../outside.ts", "/etc/passwd", "s/../../x", "s\\x.ts"])
def test_refuses_paths_leaving_the_directory(tmp_path: Path, bad: str) -> None:
    with pytest.raises(ExportError):
        read_file(tmp_path / "out", bad)


def test_refuses_a_symlinked_folder_even_inside(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "a.ts").write_text("secret\n")
    root = tmp_path / "out"
    (root / "s").mkdir(parents=True)
    os.symlink(outside, root / "s" / "src")
    with pytest.raises(ExportError, match="symlink"):
        read_file(root, "s/src/a.ts")
    with pytest.raises(ExportError, match="symlink"):
        apply_merges(root, [_write("s/src/a.ts", "overwritten\n")])
    assert (outside / "a.ts").read_text() == "secret\n"


def test_refuses_a_symlinked_file(tmp_path: Path) -> None:
    target = tmp_path / "target.ts"
    target.write_text("theirs to keep\n")
    root = tmp_path / "out"
    root.mkdir()
    os.symlink(target, root / "a.ts")
    with pytest.raises(ExportError, match="symlink"):
        read_file(root, "a.ts")
    with pytest.raises(ExportError, match="symlink"):
        apply_merges(root, [_write("a.ts", "overwritten\n")])
    assert target.read_text() == "theirs to keep\n"
    assert (root / "a.ts").is_symlink()


def test_writes_keep_the_file_mode_and_leave_no_temp_files(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_text("old\n")
    script.chmod(0o755)
    apply_merges(tmp_path, [_write("run.sh", "new\n"), _write("deep/new.ts", "n\n")])
    assert script.read_text() == "new\n"
    assert stat.S_IMODE(script.stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "deep" / "new.ts").stat().st_mode) & 0o044  # readable
    assert not list(tmp_path.rglob(".tmp-*"))


def test_a_failed_write_leaves_each_file_whole(tmp_path: Path) -> None:
    (tmp_path / "a.ts").write_text("a old\n")
    (tmp_path / "b.ts").mkdir()  # a folder where a file must go: the rename fails
    (tmp_path / "c.ts").write_text("c old\n")
    merges = [_write("a.ts", "a new\n"), _write("b.ts", "b new\n"), _write("c.ts", "c new\n")]
    with pytest.raises(ExportError):
        apply_merges(tmp_path, merges)
    assert (tmp_path / "a.ts").read_text() == "a new\n"
    assert (tmp_path / "b.ts").is_dir()
    assert (tmp_path / "c.ts").read_text() == "c old\n"
    assert not list(tmp_path.rglob(".tmp-*"))
