"""Scratch folders: named after their owner, removed after the block; the start-up sweep
removes only those whose owner is dead."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from codegen_tasks.checks.scratch import scratch_dir, sweep_dead


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_scratch_dir_carries_its_owner_and_is_removed_after_the_block(tmp_path: Path) -> None:
    with scratch_dir("tsc", tmp_path) as folder:
        assert folder.parent == tmp_path
        assert folder.name.startswith(f"codegen-tsc-{os.getpid()}-")
        (folder / "x.ts").write_text("let x = 1")
    assert not folder.exists()


def test_the_sweep_removes_dead_owners_folders_only(tmp_path: Path) -> None:
    dead = tmp_path / f"codegen-tsc-{dead_pid()}-abc"
    (dead / "work").mkdir(parents=True)
    (dead / "work" / "main.ts").write_text("generated source")
    live = tmp_path / f"codegen-run-{os.getpid()}-def"
    live.mkdir()
    unrelated = tmp_path / "codegen-notes"
    unrelated.mkdir()
    assert sweep_dead(tmp_path) == [dead]
    assert not dead.exists() and live.exists() and unrelated.exists()


def test_a_missing_root_sweeps_nothing(tmp_path: Path) -> None:
    assert sweep_dead(tmp_path / "absent") == []


def test_a_zombie_owner_is_dead(tmp_path: Path) -> None:
    """A killed worker's pool process lingers as a zombie when nothing reaps it (PID 1 of a
    container): it owns its folder no more."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        while Path(f"/proc/{proc.pid}/stat").read_text().rpartition(")")[2].split()[0] != "Z":
            time.sleep(0.01)  # exited, not yet waited for: a zombie
        folder = tmp_path / f"codegen-tsc-{proc.pid}-abc"
        folder.mkdir()
        assert sweep_dead(tmp_path) == [folder]
    finally:
        proc.wait()
