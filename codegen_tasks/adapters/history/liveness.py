"""What the liveness sweep reads and writes: task heartbeats and re-dispatch counts."""

from __future__ import annotations

from datetime import datetime

from codegen_tasks.adapters.history.session import SessionStore
from codegen_tasks.adapters.history.tables import RunNodeRow
from codegen_tasks.errors import NotFoundError


class LivenessStore(SessionStore):
    def beat(self, run_id: str, node_id: str, now: datetime) -> None:
        """A task working on the node is alive (the liveness sweep leaves it alone)."""
        with self._session() as s:
            row = s.get(RunNodeRow, (run_id, node_id))
            if row is not None:
                row.heartbeat_at = now

    def count_redispatch(self, run_id: str, node_id: str, now: datetime) -> None:
        """The node's remaining steps were sent again: counted, and progress from now."""
        with self._session() as s:
            row = s.get(RunNodeRow, (run_id, node_id))
            if row is None:
                raise NotFoundError(f"node {node_id!r} is not part of run {run_id!r}")
            row.redispatches, row.updated_at = (row.redispatches or 0) + 1, now
