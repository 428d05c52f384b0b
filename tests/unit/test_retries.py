"""The retry countdown: equal-jitter backoff with a floor, Retry-After honoured up to its
cap, never past the visibility timeout; the outage the defaults are sure to outwait."""

from __future__ import annotations

import random

import pytest

from codegen_tasks.errors import HistoryError, LLMError, StorageError
from codegen_tasks.pipeline.backoff import countdown_for, covered_outage_s, floor_s
from codegen_tasks.settings import Settings

DRAWS = [0.0, 1e-9, 0.25, 0.5, 0.999999]


def _settings(**values: float) -> Settings:
    return Settings.model_validate(
        {"CODEGEN_RETRY_BACKOFF_S": 0.01, "CODEGEN_RETRY_BACKOFF_MAX_S": 0.01}
        | {f"CODEGEN_{name.upper()}": value for name, value in values.items()}
    )


def _throttled(retry_after: float) -> LLMError:
    return LLMError("slow down", status=429, retry_after=retry_after, model="m")


def test_retry_after_is_honoured_below_its_cap() -> None:
    assert countdown_for(0, _throttled(30), _settings()) == 30


def test_retry_after_is_capped_by_the_setting() -> None:
    assert countdown_for(0, _throttled(86400), _settings()) == 120
    assert countdown_for(0, _throttled(86400), _settings(retry_after_max_s=7)) == 7


def test_no_countdown_outlives_the_visibility_timeout() -> None:
    settings = _settings(visibility_timeout_s=100, retry_after_max_s=1000)
    assert countdown_for(0, _throttled(100), settings) == 50
    slow = _settings(visibility_timeout_s=60, retry_backoff_s=500, retry_backoff_max_s=500)
    assert countdown_for(3, LLMError("down", model="m"), slow) <= 30


@pytest.mark.parametrize("draw", DRAWS)
def test_default_retries_outwait_a_minute_long_outage_for_every_draw(draw: float) -> None:
    settings = Settings()
    for exc in (StorageError("S3 down", key="k"), HistoryError("database unavailable")):
        waits = [countdown_for(n, exc, settings, draw) for n in range(settings.max_retries)]
        assert sum(waits) >= 60, waits
        assert sum(waits) >= covered_outage_s(settings)


def test_the_covered_outage_is_the_sum_of_the_floors() -> None:
    settings = Settings()
    assert covered_outage_s(settings) == 63  # 1 + 2 + 4 + 8 + 16 + 32
    assert covered_outage_s(_settings(max_retries=0)) == 0


def test_random_jitter_never_falls_below_the_floor_nor_above_the_backoff() -> None:
    settings = Settings()
    error = StorageError("S3 down", key="k")
    rng = random.Random(14)
    for _ in range(2000):
        n = rng.randrange(settings.max_retries)
        wait = countdown_for(n, error, settings)
        assert floor_s(settings, n) <= wait <= 2 * floor_s(settings, n)


def test_a_short_visibility_timeout_caps_the_floor_too() -> None:
    settings = _settings(visibility_timeout_s=10, retry_backoff_s=60, retry_backoff_max_s=600)
    assert floor_s(settings, 3) == 5
    assert countdown_for(3, StorageError("down", key="k"), settings, 0.0) == 5
