"""The graph-source interface: where a project's graph comes from when a payload has none."""

from __future__ import annotations

from typing import Any, Protocol


class GraphSource(Protocol):
    """Project graph documents by project id (the Graph Service, or memory)."""

    def fetch(self, project_id: str) -> dict[str, Any]:
        """The project's graph document. NotFoundError for an unknown project;
        GraphSourceError when the source fails (retryable when a later try may help)."""
        ...
