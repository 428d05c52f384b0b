"""Turning a model's answer into a checked file bundle. Pure."""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from codegen_tasks.domain.files import GeneratedFile, check_files
from codegen_tasks.errors import ResponseFormatError

MAX_ANSWER_CHARS = 8_000_000
MAX_OBJECT_STARTS = 256  # `{` positions tried when searching prose: no quadratic scans
# ValueError: invalid JSON, and integers past Python's digit limit (a JSON bomb)
BAD_JSON = (ValueError, RecursionError)
_FENCE = re.compile(r"```[a-zA-Z0-9_-]*[ \t]*\n(.*?)```", re.DOTALL)


class FilesAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)

    files: list[GeneratedFile]


def _candidates(text: str) -> list[str]:
    """Where the JSON object may be: the whole text, fenced blocks, then from each `{`."""
    found = [text.strip()]
    found += [m.group(1).strip() for m in _FENCE.finditer(text)]
    return found


def _decode_object(text: str, key: str | None) -> dict[str, Any] | None:
    decoder = json.JSONDecoder()
    start, tried = text.find("{"), 0
    while start != -1 and tried < MAX_OBJECT_STARTS:
        tried += 1
        try:
            value, _ = decoder.raw_decode(text, start)
        except BAD_JSON:
            value = None
        if isinstance(value, dict) and (key is None or key in value):
            return value
        start = text.find("{", start + 1)
    return None


def extract_json(text: str, key: str | None = "files") -> dict[str, Any]:
    """The JSON object a model answered with, tolerating fences and prose around it: the
    whole text or a fenced block when it is an object, else the first object in the prose
    that has `key` (any object with key=None). The one extractor of every model answer."""
    if len(text) > MAX_ANSWER_CHARS:
        raise ResponseFormatError(f"the answer is {len(text)} characters; refusing to parse")
    for candidate in _candidates(text):
        try:
            value = json.loads(candidate)
        except BAD_JSON:
            continue
        if isinstance(value, dict):
            return value
    decoded = _decode_object(text, key)
    if decoded is None:
        raise ResponseFormatError("Failed to parse AI response format: no JSON object found")
    return decoded


def parse_files(
    text: str, *, max_files: int, max_file_bytes: int, finish_reason: str | None = "stop"
) -> list[GeneratedFile]:
    """Parse and check a generation answer; ResponseFormatError says what is wrong."""
    if finish_reason == "length":
        raise ResponseFormatError(
            "the answer was truncated (finish_reason: length)", truncated=True
        )
    if not text.strip():
        raise ResponseFormatError("No content in the model's answer")
    data = extract_json(text)
    try:
        answer = FilesAnswer.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ResponseFormatError(
            f"the answer does not match the schema at {where}: {first['msg']}"
        ) from exc
    return check_files(answer.files, max_files=max_files, max_file_bytes=max_file_bytes)
