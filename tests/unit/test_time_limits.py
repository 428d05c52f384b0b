"""Task time limits and the visibility timeout, derived from the settings that bound the
work; the workers' app applies them to every task and schedules the liveness sweep."""

from __future__ import annotations

import pytest

from codegen_tasks.api.registry import CONTROL_QUEUE, LIVENESS_SWEEP
from codegen_tasks.errors import HistoryError, LLMError, TaskFailedError, TimeLimitError
from codegen_tasks.pipeline import time_limits as limits
from codegen_tasks.pipeline.retries import with_retries
from codegen_tasks.settings import Settings
from workers.app import app, app_config, beat_schedule, transport_options


def settings(**values: object) -> Settings:
    return Settings.model_validate({f"CODEGEN_{k.upper()}": v for k, v in values.items()})


def test_every_task_has_a_soft_limit_below_its_hard_one() -> None:
    import workers.tasks  # noqa: F401  (registers the tasks)

    ours = {name for name in app.tasks if name.startswith("codegen.")}
    found = limits.task_limits(Settings())
    assert set(found) == ours
    for limit in found.values():
        assert 0 < limit.soft_s < limit.hard_s == limit.soft_s + limits.HARD_GRACE_S
    annotated = app_config(Settings())["task_annotations"]
    for name in ours:
        assert annotated[name]["soft_time_limit"] == found[name].soft_s


def test_the_default_visibility_timeout_is_a_small_multiple_of_the_longest_task() -> None:
    defaults = Settings()
    longest = max(limit.hard_s for limit in limits.task_limits(defaults).values())
    timeout = limits.visibility_timeout_s(defaults)
    assert timeout == pytest.approx(limits.VISIBILITY_MULTIPLE * longest, abs=1)
    assert 10 * 60 < timeout < 3600  # minutes, not the 4 hours it was
    assert transport_options(defaults)["visibility_timeout"] == timeout
    assert limits.visibility_timeout_s(settings(visibility_timeout_s=36)) == 36


def test_limits_follow_the_settings_that_bound_the_work() -> None:
    base = Settings()
    slower = settings(repair_attempts=5)
    assert limits.generate_limit(slower).soft_s > limits.generate_limit(base).soft_s
    assert limits.validate_limit(slower).soft_s > limits.validate_limit(base).soft_s
    longer_calls = Settings.model_validate({"OPENROUTER_TIMEOUT_S": 600})
    assert limits.generate_limit(longer_calls).soft_s > limits.generate_limit(base).soft_s
    no_feedback = settings(feedback_attempts=0)
    assert limits.validate_limit(no_feedback).soft_s < limits.validate_limit(base).soft_s
    no_compiler = settings(validate_typescript=False)
    assert limits.check_pass_s(no_compiler) == 0
    expected = (2 + base.repair_attempts) * limits.model_call_s(base)
    assert limits.generation_calls_s(base) == expected


def test_beat_sends_the_sweep_to_the_control_queue_every_interval() -> None:
    schedule = beat_schedule(settings(sweep_interval_s=7))
    entry = schedule["liveness-sweep"]
    assert entry["task"] == LIVENESS_SWEEP.name and entry["schedule"] == 7
    assert entry["options"]["queue"] == CONTROL_QUEUE


def test_a_failure_that_cannot_be_recorded_fails_the_task_with_the_first_error() -> None:
    def work() -> None:
        raise LLMError("OpenRouter returned HTTP 401", status=401, model="m")

    def record(_: object) -> None:
        raise HistoryError("database unavailable: connection refused")

    with pytest.raises(TaskFailedError) as caught:
        with_retries("t", work, record, settings=Settings(), wait=lambda *_: None)
    assert caught.value.code == "llm_error" and caught.value.data["status"] == 401


def test_a_time_limit_is_a_final_error_naming_the_task_and_limit() -> None:
    error = TimeLimitError("codegen.validate_service", 2270)
    assert not error.retryable
    assert error.to_dict() == {
        "code": "time_limit",
        "message": "codegen.validate_service ran past its time limit of 2270s",
        "task": "codegen.validate_service",
        "limit_s": 2270,
    }


def test_the_default_figures_are_those_the_readme_gives() -> None:
    defaults = Settings()
    found = {name: limit.soft_s for name, limit in limits.task_limits(defaults).items()}
    assert found["codegen.generate_service"] == 1630
    assert found["codegen.validate_service"] == 2270
    assert found["codegen.discover_contracts"] == 490
    assert found["codegen.finalize_run"] == 390
    assert limits.visibility_timeout_s(defaults) == 3450
