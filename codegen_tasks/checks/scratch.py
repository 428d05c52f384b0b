"""Scratch folders of the checks, named after the process that owns them
(`codegen-<kind>-<pid>-…` under CODEGEN_SCRATCH_DIR): removed when the check ends, and at
a worker's start when their owner no longer lives (a worker killed mid-compile)."""

from __future__ import annotations

import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

log = logging.getLogger(__name__)
_OWNED = re.compile(r"^codegen-[a-z]+-(\d+)-")


def owned_prefix(kind: str) -> str:
    """The name prefix of a scratch folder of this process (`sweep_dead` reads it back)."""
    return f"codegen-{kind}-{os.getpid()}-"


@contextmanager
def scratch_dir(kind: str, root: Path | None) -> Iterator[Path]:
    """A fresh folder under `root` (the system's temporary folder when None), removed at
    the end of the block."""
    with tempfile.TemporaryDirectory(prefix=owned_prefix(kind), dir=root) as tmp:
        yield Path(tmp)


def _alive(pid: int) -> bool:
    """Whether `pid` runs: a zombie (killed, not yet reaped by its new parent, which in a
    container may never come) owns nothing any more."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # after the command's name, in parentheses, comes the state
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state not in ("Z", "X")


def sweep_dead(root: Path | None) -> list[Path]:
    """Remove the scratch folders under `root` whose owner process is gone; those removed."""
    folder = root or Path(tempfile.gettempdir())
    try:
        entries = list(folder.iterdir())
    except OSError:
        return []
    removed = []
    for path in entries:
        owned = _OWNED.match(path.name)
        if owned and path.is_dir() and not _alive(int(owned[1])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        log.info("removed %d scratch folder(s) left by dead processes", len(removed))
    return removed
