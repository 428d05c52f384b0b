"""Whether a process on this machine still runs: the one rule for a lock holder, a scratch
folder's owner and a test's server."""

from __future__ import annotations

import os
from pathlib import Path


def exists(pid: int) -> bool:
    """The pid is taken: running, or a zombie its parent has not reaped yet."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def running(pid: int) -> bool:
    """It exists and is no zombie: a killed worker's pool process that nobody reaps (PID 1
    of a container may never) owns nothing any more."""
    if not exists(pid):
        return False
    try:  # after the command's name, in parentheses, comes the state
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True  # no /proc: taken as running
    return state not in ("Z", "X")
