"""A task working on a node beats in history while it works, so the liveness sweep tells a
slow step from a lost one (pipeline/liveness.py). Beats are best effort: a database blip
skips one."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.time_limits import HEARTBEAT_S


@contextlib.contextmanager
def heartbeat(
    deps: Deps, run_id: str, node_id: str, interval_s: float = HEARTBEAT_S
) -> Iterator[None]:
    """Beat for the node now and every `interval_s` until the block ends."""
    stop = threading.Event()

    def beat() -> None:
        while True:
            with contextlib.suppress(CodegenError):
                deps.history.beat(run_id, node_id, deps.clock())
            if stop.wait(interval_s):
                return

    thread = threading.Thread(target=beat, name=f"heartbeat-{node_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
