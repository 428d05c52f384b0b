"""The rules a task payload's values follow, checked before anything is written: ids follow
the graph's id rule, every value fits its database column, and a refused payload names each
bad field (`PayloadError.problems`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, Field, ValidationError

from codegen_tasks.domain.safety import MAX_ID_LENGTH, id_problem
from codegen_tasks.errors import PayloadError

# The columns these values are stored in (history tables): a longer value is refused here.
MAX_RUN_ID = 64  # runs.id, runs.batch_id
MAX_USER_ID = 128  # runs.user_id, llm_calls.user_id
MAX_MODEL = 200  # runs.model, llm_calls.model
# OpenRouter model ids: `vendor/model[:variant]` segments, none a path trick (`~/`, `..`, `/x`).
MODEL_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@+-]*(?:/[A-Za-z0-9][A-Za-z0-9._:@+-]*)*")
MODEL_RULE = "'/'-separated segments of ASCII letters, digits, '.', '_', ':', '@', '+' or '-'"

M = TypeVar("M", bound=BaseModel)


def _safe_id(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _printable(value: str) -> str:
    if not value.isprintable():
        raise ValueError("must be printable text (no NUL or other control characters)")
    return value


def _model_name(value: str) -> str:
    if not MODEL_RE.fullmatch(value):
        raise ValueError(f"unsafe model name: must be {MODEL_RULE}")
    return value


SafeId = Annotated[str, Field(max_length=MAX_ID_LENGTH), AfterValidator(_safe_id)]
RunId = Annotated[str, Field(max_length=MAX_RUN_ID), AfterValidator(_safe_id)]
UserId = Annotated[str, Field(max_length=MAX_USER_ID), AfterValidator(_printable)]
ModelName = Annotated[str, Field(max_length=MAX_MODEL), AfterValidator(_model_name)]


def parse_payload(model: type[M], data: Any) -> M:
    """`data` as the task's payload model, or PayloadError naming every bad field."""
    if not isinstance(data, Mapping):
        raise PayloadError(
            f"payload must be a JSON object, not {type(data).__name__}",
            problems=["payload: must be a JSON object"],
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(error) for error in exc.errors(include_url=False)]
        raise PayloadError("invalid payload: " + "; ".join(problems), problems=problems) from exc


def _problem(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "payload"
    message = str(error["msg"]).removeprefix("Value error, ")  # our rules' own words
    return f"{where}: {message}"
