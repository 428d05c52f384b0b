"""What Flower shows as a task's arguments: a short summary of its payload."""

from __future__ import annotations

from typing import Any

SUMMARY_FIELDS = (
    "projectId", "nodeId", "runId", "batchId", "aiModel", "forceRegenerate", "stream",
    "projectIds", "all",
)  # fmt: skip
MAX_LIST = 5


def summary(payload: dict[str, Any], service_name: str | None = None) -> str:
    """Ids, the node's service name and model only, never graphs, metadata or secrets; long
    id lists are cut."""
    shown: dict[str, Any] = {}
    for key in SUMMARY_FIELDS:
        if key == "runId" and service_name:
            shown["service"] = service_name
        value = payload.get(key)
        if value in (None, False):
            continue
        if isinstance(value, list) and len(value) > MAX_LIST:
            value = [*value[:MAX_LIST], f"+{len(value) - MAX_LIST} more"]
        shown[key] = value
    if payload.get("graph") is not None:
        shown["graph"] = "<inline>"
    return repr(shown)
