"""A stand-in model for tests and benchmarks: answers a generation prompt with the
built-in scaffold for the service spec embedded in the prompt, as a model would (in hybrid
mode, only the domain files of it)."""

from __future__ import annotations

import json
import re
from typing import Any

from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.generation.hybrid import DOMAIN_ASK, service_path
from codegen_tasks.generation.scaffold import render_service

_SPEC_BLOCK = re.compile(r"Service spec as JSON:\n```json\n(.*?)\n```", re.DOTALL)


def spec_from_messages(messages: list[dict[str, Any]]) -> ServiceSpec | None:
    for message in messages:
        if message.get("role") != "user":
            continue
        found = _SPEC_BLOCK.search(str(message.get("content", "")))
        if found:
            return ServiceSpec.model_validate_json(found.group(1))
    return None


def scaffold_answer(body: dict[str, Any]) -> str:
    """The JSON answer for a chat-completions request body (`{"files": [...]}`)."""
    spec = spec_from_messages(body.get("messages", []))
    if spec is None:
        return json.dumps({"files": [{"path": "README.md", "content": "no spec in prompt"}]})
    files = render_service(spec)
    if hybrid_conversation(body):
        files = [f for f in files if f.path == service_path(spec)]
    return json.dumps({"files": [f.model_dump() for f in files]})


def hybrid_conversation(body: dict[str, Any]) -> bool:
    """Whether the request asks for the domain files only (hybrid mode)."""
    messages = body.get("messages", [])
    return any(m.get("role") == "user" and DOMAIN_ASK in str(m.get("content")) for m in messages)
