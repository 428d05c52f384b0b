"""Limits on model calls in one worker process: how many are in flight at once
(CODEGEN_LLM_CONCURRENCY) and, per model, how often one may start (CODEGEN_MODEL_RATE_LIMITS).

The in-flight limit is separate from the worker's thread count on purpose: with more task
threads than call slots, the storage and history work of a finished node overlaps the next
node's call instead of delaying it, so the model is kept exactly `concurrency` calls busy.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache

from codegen_tasks.errors import LLMConfigError
from codegen_tasks.settings import Settings

_RATE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*/\s*([smh])\s*$")
_PERIOD_S = {"s": 1.0, "m": 60.0, "h": 3600.0}
ANY_MODEL = "*"


def parse_rate(text: str) -> float:
    """Calls per second of a Celery-style rate: `10/s`, `60/m`, `500/h`."""
    match = _RATE_RE.match(text)
    if match is None or float(match[1]) <= 0:
        raise LLMConfigError(f"invalid rate limit {text!r}: use N/s, N/m or N/h")
    return float(match[1]) / _PERIOD_S[match[2]]


class CallLimits:
    """At most `concurrency` calls in flight; per model, starts spaced by its rate."""

    def __init__(self, concurrency: int, rates: dict[str, float] | None = None) -> None:
        self._slots = threading.BoundedSemaphore(max(1, concurrency))
        self._rates = dict(rates or {})
        self._next_start: dict[str, float] = {}
        self._mutex = threading.Lock()

    def _interval(self, model: str) -> float:
        rate = self._rates.get(model) or self._rates.get(ANY_MODEL)
        return 1.0 / rate if rate else 0.0

    def _pace(self, model: str) -> None:
        """Wait for this model's next start time (a leaky bucket: no bursts)."""
        interval = self._interval(model)
        if not interval:
            return
        with self._mutex:
            now = time.monotonic()
            start = max(now, self._next_start.get(model, now))
            self._next_start[model] = start + interval
        time.sleep(start - now)

    @contextmanager
    def slot(self, model: str) -> Iterator[None]:
        self._pace(model)
        with self._slots:
            yield


@lru_cache(maxsize=8)
def _limits(concurrency: int, rates: tuple[tuple[str, str], ...]) -> CallLimits:
    return CallLimits(concurrency, {model: parse_rate(rate) for model, rate in rates})


def call_limits(settings: Settings) -> CallLimits:
    """The process's limits for these settings (shared by every thread)."""
    rates = tuple(sorted(settings.model_rate_limits.items()))
    return _limits(settings.llm_concurrency, rates)
