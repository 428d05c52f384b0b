"""The retry countdown: backoff, Retry-After honoured up to its cap, never past the
visibility timeout."""

from __future__ import annotations

from codegen_tasks.errors import LLMError
from codegen_tasks.pipeline.retries import countdown_for
from codegen_tasks.settings import Settings


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
