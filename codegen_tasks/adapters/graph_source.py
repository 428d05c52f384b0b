"""Where a project's graph comes from: the payload, a file, or the Graph Service over HTTP.

`CODEGEN_GRAPH_SERVICE_URL` is a URL template with a `{projectId}` placeholder, e.g.
`http://graph-service:3000/projects/{projectId}/graph`. Timeouts, connection errors, 429 and
5xx are retried a bounded number of times with backoff; what still fails becomes a
GraphSourceError (retryable when a later task retry may help), 404 a NotFoundError.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

import requests

from codegen_tasks.errors import CodegenError, NotFoundError
from codegen_tasks.settings import Settings

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
BACKOFF_S = 0.2


class GraphSourceError(CodegenError):
    code = "graph_source_error"

    def __init__(self, message: str, *, status: int | None = None, retryable: bool) -> None:
        super().__init__(message, status=status)
        self.retryable = retryable


def graph_url(template: str, project_id: str) -> str:
    if "{projectId}" not in template:
        raise GraphSourceError(
            "CODEGEN_GRAPH_SERVICE_URL needs a {projectId} placeholder", retryable=False
        )
    return template.replace("{projectId}", quote(project_id, safe=""))


def _headers(settings: Settings) -> dict[str, str]:
    headers = {"Accept": "application/json"}
    token = settings.graph_service_token
    if token is not None and token.get_secret_value():
        headers["Authorization"] = f"Bearer {token.get_secret_value()}"
    return headers


def _unwrap(body: Any, project_id: str) -> dict[str, Any]:
    """The graph document; a `{"data": {...}}` envelope is accepted too."""
    if isinstance(body, dict) and "graph" not in body and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict):
        raise GraphSourceError(
            f"Graph Service answered a non-object for project {project_id!r}", retryable=False
        )
    return body


def _get_once(settings: Settings, url: str, project_id: str) -> dict[str, Any]:
    timeout = settings.graph_service_timeout_s
    try:
        response = requests.get(url, headers=_headers(settings), timeout=timeout)
    except requests.RequestException as exc:
        kind = "timed out" if isinstance(exc, requests.Timeout) else "unreachable"
        raise GraphSourceError(
            f"Graph Service {kind}: {type(exc).__name__}", retryable=True
        ) from exc
    status = response.status_code
    if status == 404:
        raise NotFoundError(f"Graph Service has no project {project_id!r}", status=404)
    if status >= 400:
        raise GraphSourceError(
            f"Graph Service answered HTTP {status} for project {project_id!r}",
            status=status,
            retryable=status in RETRY_STATUSES,
        )
    try:
        return _unwrap(response.json(), project_id)
    except ValueError as exc:
        raise GraphSourceError(
            f"Graph Service answered invalid JSON for project {project_id!r}", retryable=False
        ) from exc


def fetch_graph(settings: Settings, project_id: str) -> dict[str, Any]:
    """The project's graph from the Graph Service, with bounded retries."""
    if not settings.graph_service_url:
        raise GraphSourceError("CODEGEN_GRAPH_SERVICE_URL is not configured", retryable=False)
    url = graph_url(settings.graph_service_url, project_id)
    attempts = max(1, settings.graph_service_retries + 1)
    for attempt in range(attempts):
        try:
            return _get_once(settings, url, project_id)
        except GraphSourceError as exc:
            if not exc.retryable or attempt == attempts - 1:
                raise
            time.sleep(BACKOFF_S * 2**attempt)
    raise AssertionError("unreachable")  # pragma: no cover
