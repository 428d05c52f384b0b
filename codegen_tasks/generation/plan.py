"""Multi-step generation: the model first plans the files, then writes them."""

from __future__ import annotations

import json

from pydantic import BaseModel, ConfigDict, ValidationError

from codegen_tasks.domain.files import check_path
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.errors import ResponseFormatError
from codegen_tasks.generation.parsing import extract_json
from codegen_tasks.generation.prompts import generation_messages
from codegen_tasks.ports.llm import ChatMessage

MAX_PLANNED_FILES = 200

PLAN_ASK = (
    "Before writing any code, plan the service. Answer with ONE JSON object and nothing else: "
    '{"files": [{"path": "...", "purpose": "one line: what the file holds"}]} listing every '
    "file the service needs, following the generation rules."
)


class PlannedFile(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    path: str
    purpose: str = ""


class Plan(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    files: list[PlannedFile]


def plan_messages(spec: ServiceSpec) -> list[ChatMessage]:
    system, user = generation_messages(spec)
    return [system, ChatMessage(role="user", content=f"{user.content}\n\n{PLAN_ASK}")]


def parse_plan(text: str) -> Plan:
    """The model's file plan, with safe paths and a bounded size."""
    try:
        plan = Plan.model_validate(extract_json(text))
    except ValidationError as exc:
        raise ResponseFormatError(f"the file plan does not match the schema: {exc}") from exc
    if not plan.files or len(plan.files) > MAX_PLANNED_FILES:
        raise ResponseFormatError(f"the file plan lists {len(plan.files)} files")
    for item in plan.files:
        check_path(item.path)
    return plan


def files_messages(spec: ServiceSpec, plan: Plan) -> list[ChatMessage]:
    """The second step: write exactly the planned files."""
    listing = json.dumps({"files": [f.model_dump() for f in plan.files]})
    return [
        *generation_messages(spec),
        ChatMessage(role="assistant", content=f"File plan: {listing}"),
        ChatMessage(
            role="user",
            content="Now write every file of the plan, complete, as the JSON object "
            '{"files": [{"path", "content"}]}.',
        ),
    ]
