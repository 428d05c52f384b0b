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

from codegen_tasks.processes import running

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
        if owned and path.is_dir() and not running(int(owned[1])):
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    if removed:
        log.info("removed %d scratch folder(s) left by dead processes", len(removed))
    return removed
