"""The Graph Service over HTTP, behind the GraphSource port.

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

from codegen_tasks.errors import GraphSourceError, NotFoundError
from codegen_tasks.settings import Settings

RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
BACKOFF_S = 0.2


def graph_url(template: str, project_id: str) -> str:
    if "{projectId}" not in template:
        raise GraphSourceError(
            "CODEGEN_GRAPH_SERVICE_URL needs a {projectId} placeholder", retryable=False
        )
    return template.replace("{projectId}", quote(project_id, safe=""))


def _unwrap(body: Any, project_id: str) -> dict[str, Any]:
    """The graph document; a `{"data": {...}}` envelope is accepted too."""
    if isinstance(body, dict) and "graph" not in body and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict):
        raise GraphSourceError(
            f"Graph Service answered a non-object for project {project_id!r}",
            project_id=project_id,
            retryable=False,
        )
    return body


class HttpGraphSource:
    """GET the URL template's project URL, with bounded retries (`retries` after the first)."""

    def __init__(
        self,
        url_template: str,
        *,
        token: str | None = None,
        timeout_s: float = 10.0,
        retries: int = 2,
    ) -> None:
        self.url_template = url_template
        self.headers = {"Accept": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.timeout_s = timeout_s
        self.attempts = max(1, retries + 1)

    @classmethod
    def from_settings(cls, settings: Settings) -> HttpGraphSource:
        if not settings.graph_service_url:
            raise GraphSourceError("CODEGEN_GRAPH_SERVICE_URL is not configured", retryable=False)
        token = settings.graph_service_token
        return cls(
            settings.graph_service_url,
            token=token.get_secret_value() if token is not None else None,
            timeout_s=settings.graph_service_timeout_s,
            retries=settings.graph_service_retries,
        )

    def fetch(self, project_id: str) -> dict[str, Any]:
        """The project's graph from the Graph Service, with bounded retries."""
        url = graph_url(self.url_template, project_id)
        for attempt in range(self.attempts):
            try:
                return self._get_once(url, project_id)
            except GraphSourceError as exc:
                if not exc.retryable or attempt == self.attempts - 1:
                    raise
                time.sleep(BACKOFF_S * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover

    def _get_once(self, url: str, project_id: str) -> dict[str, Any]:
        try:
            response = requests.get(url, headers=self.headers, timeout=self.timeout_s)
        except requests.RequestException as exc:
            kind = "timed out" if isinstance(exc, requests.Timeout) else "unreachable"
            raise GraphSourceError(
                f"Graph Service {kind}: {type(exc).__name__}",
                project_id=project_id,
                retryable=True,
            ) from exc
        status = response.status_code
        if status == 404:
            raise NotFoundError(f"Graph Service has no project {project_id!r}", status=404)
        if status >= 400:
            raise GraphSourceError(
                f"Graph Service answered HTTP {status} for project {project_id!r}",
                status=status,
                project_id=project_id,
                retryable=status in RETRY_STATUSES,
            )
        try:
            return _unwrap(response.json(), project_id)
        except ValueError as exc:
            raise GraphSourceError(
                f"Graph Service answered invalid JSON for project {project_id!r}",
                project_id=project_id,
                retryable=False,
            ) from exc
