"""The checks' child processes (tsc, node, the sandbox): each leads its own process group,
killed whole on a timeout and whenever its caller leaves (an exception, a worker shutting
down), and sent SIGKILL by the kernel when the worker that started it dies (`setpriv
--pdeathsig`, where util-linux has it): a killed worker leaves no compiler running."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
from pathlib import Path


def with_parent_death(command: list[str]) -> list[str]:
    """`command`, killed by the kernel when the thread that started it dies."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--", *command] if setpriv else list(command)


def kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def run_in_group(
    command: list[str], *, cwd: Path, timeout_s: float
) -> subprocess.CompletedProcess[str]:
    """`subprocess.run(command, capture_output=True, text=True)` in a process group of its
    own, the whole group killed at the end; TimeoutExpired after `timeout_s` (group killed)."""
    proc = subprocess.Popen(
        with_parent_death(command),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout_s)
    finally:
        kill_group(proc.pid)  # grandchildren too; the leader may have exited already
        if proc.poll() is None:
            proc.communicate()
    decoded = (out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))
    return subprocess.CompletedProcess(command, proc.returncode, *decoded)
