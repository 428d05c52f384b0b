"""Streamed-token progress, written to history at most a few times a second.

A task runner may also listen (Celery's PROGRESS state, say) through `progress_listener`,
a context-local hook: the pipeline stays free of Celery.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.context import Deps

CHARS_PER_TOKEN = 4
MIN_INTERVAL_S = 0.5

# (run_id, node_id, streamed tokens so far)
ProgressListener = Callable[[str, str, int], None]
_listener: ContextVar[ProgressListener | None] = ContextVar("codegen_progress", default=None)


@contextlib.contextmanager
def progress_listener(listener: ProgressListener) -> Iterator[None]:
    """Call `listener` with the same throttled updates history gets, inside this block."""
    token = _listener.set(listener)
    try:
        yield
    finally:
        _listener.reset(token)


class StreamProgress:
    """Counts streamed tokens of one node; never slows or breaks generation."""

    def __init__(self, deps: Deps, run_id: str, node_id: str) -> None:
        self._deps, self._run_id, self._node_id = deps, run_id, node_id
        self._chars = 0
        self._last = 0.0
        self._listener = _listener.get()

    @property
    def tokens(self) -> int:
        return self._chars // CHARS_PER_TOKEN

    def on_chunk(self, text: str) -> None:
        self._chars += len(text)
        now = time.monotonic()
        if now - self._last < MIN_INTERVAL_S:
            return
        self._last = now
        with contextlib.suppress(CodegenError):  # progress is best effort
            self._deps.history.set_streamed(
                self._run_id, self._node_id, self.tokens, self._deps.clock()
            )
        self._notify()

    def _notify(self) -> None:
        if self._listener is None:
            return
        try:
            self._listener(self._run_id, self._node_id, self.tokens)
        except Exception:  # a listener never breaks generation
            return
