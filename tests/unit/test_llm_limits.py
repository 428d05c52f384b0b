"""Model call limits: in-flight slots and per-model start rates."""

from __future__ import annotations

import threading
import time

import pytest

from codegen_tasks.errors import LLMConfigError
from codegen_tasks.pipeline.limits import CallLimits, call_limits, parse_rate
from codegen_tasks.settings import Settings


def test_rates_parse_like_celery() -> None:
    assert parse_rate("10/s") == 10
    assert parse_rate("60/m") == 1
    assert parse_rate(" 7200 / h ") == 2
    for bad in ("10", "0/s", "ten/m", "5/d"):
        with pytest.raises(LLMConfigError):
            parse_rate(bad)


def test_no_more_calls_in_flight_than_slots() -> None:
    limits = CallLimits(2)
    in_flight, peak, lock = 0, 0, threading.Lock()

    def call() -> None:
        nonlocal in_flight, peak
        with limits.slot("m"):
            with lock:
                in_flight += 1
                peak = max(peak, in_flight)
            time.sleep(0.02)
            with lock:
                in_flight -= 1

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=5)
    assert peak == 2


def test_a_model_rate_spaces_call_starts() -> None:
    limits = CallLimits(4, {"slow/model": 20.0})  # one start every 50 ms
    started = time.monotonic()
    for _ in range(3):
        with limits.slot("slow/model"):
            pass
    assert time.monotonic() - started >= 0.09
    quick = time.monotonic()
    with limits.slot("other/model"):
        pass
    assert time.monotonic() - quick < 0.05


def test_settings_give_one_shared_limiter_per_process() -> None:
    settings = Settings.model_validate(
        {"CODEGEN_LLM_CONCURRENCY": 3, "CODEGEN_MODEL_RATE_LIMITS": {"*": "100/s"}}
    )
    assert call_limits(settings) is call_limits(settings.model_copy())
