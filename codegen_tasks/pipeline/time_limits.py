"""How long each task may run, the Redis visibility timeout, and when a node that made no
progress is stalled: one rule, derived from the settings that bound the work.

A step's work is bounded by what it waits on: each model call by the OpenRouter timeouts
(after waiting at most `single_flight_s` on an identical call in flight), each compiler
run by the tsc timeout, the runtime check by CODEGEN_RUNTIME_TIMEOUT_S. A task's soft limit
is its worst case plus slack for history and storage; its hard limit gives the soft limit's
handler time to record the failure. The visibility timeout is a small multiple of the
longest hard limit, so Redis never hands a live worker's task to another one, and a killed
worker's task is redelivered within minutes.

Celery enforces the limits in the prefork pool (the check worker); the thread pools (llm,
control) cannot interrupt a thread, so there the bound holds through the timeouts above,
and the liveness sweep (pipeline/liveness.py) catches what outlives it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from codegen_tasks.checks.static.typescript import DEFAULT_TIMEOUT_S as TSC_TIMEOUT_S
from codegen_tasks.settings import Settings

STEP_SLACK_S = 60.0  # history, storage and cache round trips of one task, with margin
HARD_GRACE_S = 30.0  # from the soft limit (the task records its failure) to the hard kill
VISIBILITY_MULTIPLE = 1.5  # visibility timeout = this x the longest hard limit
SINGLE_FLIGHT_SLACK_S = 30.0  # an identical call in flight is waited on this past its timeout
CONTROL_S = 2 * TSC_TIMEOUT_S + STEP_SLACK_S  # planning, closing (the typed check), merging
HEARTBEAT_S = 5.0  # a task working on a node says so this often (pipeline/heartbeat.py)
HEARTBEAT_LOST_S = 3 * HEARTBEAT_S  # no beat for this long: no task works on the node


@dataclass(frozen=True)
class TimeLimit:
    soft_s: float
    hard_s: float


def _limit(soft_s: float) -> TimeLimit:
    return TimeLimit(soft_s=soft_s, hard_s=soft_s + HARD_GRACE_S)


def single_flight_s(settings: Settings) -> float:
    """How long a call waits on an identical call in flight before calling itself."""
    return settings.openrouter_timeout_s + SINGLE_FLIGHT_SLACK_S


def model_call_s(settings: Settings) -> float:
    """One model call, connecting and reading (the timeouts bound each)."""
    return settings.openrouter_connect_timeout_s + settings.openrouter_timeout_s


def generation_calls_s(settings: Settings) -> float:
    """Asking for one bundle: a file plan (multi-step), the answer and its repairs."""
    return (2 + settings.repair_attempts) * model_call_s(settings)


def check_pass_s(settings: Settings) -> float:
    """One validation of a bundle: type check and build (tsc each), the runtime check;
    structural checks only without the TypeScript levels."""
    if not settings.validate_typescript:
        return 0.0
    runtime = settings.runtime_timeout_s if settings.runtime_check else 0.0
    return 2 * TSC_TIMEOUT_S + runtime


def generate_limit(settings: Settings) -> TimeLimit:
    """`codegen.generate_service`: the bundle's calls (after one single-flight wait)."""
    return _limit(single_flight_s(settings) + generation_calls_s(settings) + STEP_SLACK_S)


def validate_limit(settings: Settings) -> TimeLimit:
    """`codegen.validate_service`: every check pass, each feedback regeneration, a review."""
    feedback = settings.feedback_attempts
    passes = (1 + feedback) * check_pass_s(settings)
    regenerations = feedback * generation_calls_s(settings)
    return _limit(passes + regenerations + model_call_s(settings) + STEP_SLACK_S)


def discover_limit(settings: Settings) -> TimeLimit:
    """`codegen.discover_contracts`: discovery (the schema tool), AI descriptions."""
    return _limit(TSC_TIMEOUT_S + model_call_s(settings) + STEP_SLACK_S)


def control_limit(settings: Settings) -> TimeLimit:
    """The control queue's tasks and the latest-bundle checks."""
    return _limit(max(CONTROL_S, check_pass_s(settings) + STEP_SLACK_S))


def task_limits(settings: Settings) -> dict[str, TimeLimit]:
    """Every task's limits, by task name."""
    control = control_limit(settings)
    validate = validate_limit(settings)
    return {
        "codegen.generate_service": generate_limit(settings),
        "codegen.validate_service": validate,
        "codegen.validate_project": validate,
        "codegen.discover_contracts": discover_limit(settings),
        "codegen.validate_contracts": control,
        "codegen.generate_project": control,
        "codegen.finalize_run": control,
        "codegen.regenerate_projects": control,
        "codegen.merge_bundle": control,
        "codegen.liveness_sweep": control,
    }


def derived_visibility_timeout_s(settings: Settings) -> int:
    """VISIBILITY_MULTIPLE x the longest hard limit, in whole seconds."""
    longest = max(limit.hard_s for limit in task_limits(settings).values())
    return math.ceil(VISIBILITY_MULTIPLE * longest)


def visibility_timeout_s(settings: Settings) -> int:
    """CODEGEN_VISIBILITY_TIMEOUT_S when set (not 0), else the derived one."""
    return settings.visibility_timeout_s or derived_visibility_timeout_s(settings)


def stall_after_s(settings: Settings) -> float:
    """A node no task works on (no heartbeat for HEARTBEAT_LOST_S) whose last progress is
    older than this lost its step's message: a killed worker's copy would have been
    redelivered by now (the visibility timeout), and a retry's countdown is at most half
    of it. A step waiting in its queue that long is sent again as well (a copy that finds
    its work done returns at once)."""
    return visibility_timeout_s(settings) + HEARTBEAT_LOST_S
