"""The checks' child processes: a timeout kills the whole group (grandchildren too), and a
parent killed with SIGKILL takes its child with it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from codegen_tasks.checks.children import run_in_group
from tests.fixtures.faults import wait_until

pytestmark = pytest.mark.integration


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ", 1)[1].startswith("Z"))


def test_a_timeout_kills_the_whole_group(tmp_path: Path) -> None:
    script = f"sleep 60 & echo $! > {tmp_path}/pid; wait"
    with pytest.raises(subprocess.TimeoutExpired):
        run_in_group(["sh", "-c", script], cwd=tmp_path, timeout_s=1)
    grandchild = int((tmp_path / "pid").read_text())
    wait_until(lambda: not alive(grandchild), 5, "the grandchild's death")


def test_a_killed_parent_takes_its_child_along(tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; "
        "from codegen_tasks.checks.children import run_in_group; "
        f"run_in_group(['sh', '-c', 'echo $$ > {tmp_path}/pid; exec sleep 60'], "
        f"cwd=Path('{tmp_path}'), timeout_s=60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", code])
    try:
        wait_until(lambda: (tmp_path / "pid").exists(), 20, "the child")
        child = int(wait_until(lambda: (tmp_path / "pid").read_text().strip(), 5, "its pid"))
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        wait_until(lambda: not alive(child), 5, "the child's death with its parent")
    finally:
        if parent.poll() is None:
            parent.kill()
