"""Projects, graph snapshots, runs and their live per-node state."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from codegen_tasks.adapters.history.listing import aware, run_info_of
from codegen_tasks.adapters.history.session import SessionStore, insert_or_nothing
from codegen_tasks.adapters.history.tables import (
    ProjectRow,
    RunNodeRow,
    RunRow,
    SnapshotRow,
)
from codegen_tasks.domain.records import RunInfo, RunNode
from codegen_tasks.domain.results import BreakingChange, RunStatus, ServiceStatus
from codegen_tasks.errors import NotFoundError


def graph_hash(graph: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(graph, sort_keys=True).encode()).hexdigest()


# one statement built once, the values its parameters (the columns they name are SET); a
# cancelled run keeps the state it was closed with
_SET_NODE = update(cast(Table, RunNodeRow.__table__)).where(
    RunNodeRow.run_id == bindparam("b_run_id"),
    RunNodeRow.node_id == bindparam("b_node_id"),
    ~select(RunRow.id)
    .where(RunRow.id == bindparam("b_run_id"), RunRow.status == RunStatus.CANCELLED.value)
    .exists(),
)


class RunStore(SessionStore):
    # projects and graph snapshots
    def save_snapshot(
        self, project_id: str, name: str, graph: dict[str, Any], now: datetime
    ) -> str:
        try:
            return self._save_snapshot(project_id, name, graph, now)
        except IntegrityError:  # a concurrent run inserted the project or snapshot first
            return self._save_snapshot(project_id, name, graph, now)

    def _save_snapshot(
        self, project_id: str, name: str, graph: dict[str, Any], now: datetime
    ) -> str:
        digest = graph_hash(graph)
        snapshot_id = hashlib.sha256(f"{project_id}:{digest}".encode()).hexdigest()[:32]
        with self._session() as s:
            project = s.get(ProjectRow, project_id)
            if project is None:
                s.add(ProjectRow(id=project_id, name=name, created_at=now, updated_at=now))
            else:
                project.name, project.updated_at = name, now
            if s.get(SnapshotRow, snapshot_id) is None:
                s.add(
                    SnapshotRow(
                        id=snapshot_id,
                        project_id=project_id,
                        graph_hash=digest,
                        graph=graph,
                        created_at=now,
                    )
                )
        return snapshot_id

    def latest_snapshot(self, project_id: str) -> dict[str, Any]:
        """The graph of the project's latest run, whatever its content (a snapshot shared by
        several runs keeps its first time); the latest stored snapshot if no run has one."""
        with self._session() as s:
            snapshot_id = s.scalars(
                select(RunRow.snapshot_id)
                .where(RunRow.project_id == project_id)
                .order_by(RunRow.created_at.desc())
                .limit(1)
            ).first()
            row = s.get(SnapshotRow, snapshot_id) if snapshot_id else None
            if row is None:
                row = s.scalars(
                    select(SnapshotRow)
                    .where(SnapshotRow.project_id == project_id)
                    .order_by(SnapshotRow.created_at.desc())
                    .limit(1)
                ).first()
            if row is None:
                raise NotFoundError(f"no graph stored for project {project_id!r}")
            return dict(row.graph)

    def snapshot(self, snapshot_id: str) -> dict[str, Any]:
        with self._session() as s:
            row = s.get(SnapshotRow, snapshot_id)
            if row is None:
                raise NotFoundError(f"no graph snapshot {snapshot_id!r}")
            return dict(row.graph)

    def project_ids(self) -> list[str]:
        with self._session() as s:
            return list(s.scalars(select(ProjectRow.id).order_by(ProjectRow.id)))

    # runs
    def create_run(
        self,
        run: RunInfo,
        snapshot_id: str,
        nodes: list[tuple[str, str, ServiceStatus]],
        cycles: list[list[str]],
        generations: Mapping[str, str] | None = None,
    ) -> bool:
        """Create the run and its node rows; False when it exists already (a redelivery, or
        the same run id enqueued twice at once: one upsert, so exactly one creates it).
        `generations` gives nodes their generation id up front (nodes skipped as unchanged)."""
        with self._session() as s:
            inserted = s.execute(
                insert_or_nothing(self.engine, RunRow)
                .values(
                    id=run.id,
                    project_id=run.project_id,
                    snapshot_id=snapshot_id,
                    status=run.status,
                    model=run.model,
                    force_regenerate=run.force_regenerate,
                    user_id=run.user_id,
                    batch_id=run.batch_id,
                    cycles=cycles,
                    created_at=run.created_at,
                    mode=run.mode,
                    stream=run.stream,
                    ai_review=run.ai_review,
                )
                .returning(RunRow.id)
            )
            if inserted.scalar_one_or_none() is None:
                return False
            for node_id, name, status in nodes:
                s.add(
                    RunNodeRow(
                        run_id=run.id,
                        node_id=node_id,
                        service_name=name,
                        status=status.value,
                        generation_id=(generations or {}).get(node_id),
                        updated_at=run.created_at,
                    )
                )
        return True

    def set_node(
        self,
        run_id: str,
        node_id: str,
        status: ServiceStatus,
        now: datetime,
        *,
        streamed_tokens: int | None = None,
        generation_id: str | None = None,
        error: str | None = None,
        error_code: str | None = None,
        error_status: int | None = None,
    ) -> None:
        values: dict[str, object] = {"status": status.value, "updated_at": now}
        if streamed_tokens is not None:
            values["streamed_tokens"] = streamed_tokens
        if generation_id is not None:
            values["generation_id"] = generation_id
        if error is not None or status is not ServiceStatus.FAILED:
            values |= {"error": error, "error_code": error_code, "error_status": error_status}
        with self._session() as s:  # one UPDATE; the reads only when it changed nothing
            result = s.execute(_SET_NODE, {"b_run_id": run_id, "b_node_id": node_id, **values})
            # the statement is on the table: a row loaded in this session is not updated in
            # memory, so it is expired (a later read in this transaction sees the update)
            loaded = s.identity_map.get(s.identity_key(RunNodeRow, (run_id, node_id)))
            if loaded is not None:
                s.expire(loaded)
            changed = cast(CursorResult[Any], result).rowcount
            if not changed and s.get(RunNodeRow, (run_id, node_id)) is None:
                raise NotFoundError(f"node {node_id!r} is not part of run {run_id!r}")

    def set_streamed(self, run_id: str, node_id: str, tokens: int, now: datetime) -> None:
        with self._session() as s:
            row = s.get(RunNodeRow, (run_id, node_id))
            if row is not None:
                row.streamed_tokens, row.updated_at = tokens, now

    def finish_run(self, run_id: str, status: str, now: datetime, error: str | None = None) -> None:
        with self._session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r}")
            row.status, row.finished_at, row.error = status, now, error

    def set_breaking_changes(self, run_id: str, changes: list[BreakingChange]) -> None:
        with self._session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r}")
            row.breaking_changes = [c.wire() for c in changes]

    def breaking_changes(self, run_id: str) -> list[BreakingChange] | None:
        """The run's breaking-change report; None while it is not computed."""
        with self._session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r}")
            stored = row.breaking_changes
        return None if stored is None else [BreakingChange.model_validate(c) for c in stored]

    def run_info(self, run_id: str) -> RunInfo:
        query = (
            select(RunRow, ProjectRow.name)
            .outerjoin(ProjectRow, ProjectRow.id == RunRow.project_id)
            .where(RunRow.id == run_id)
        )
        with self._session() as s:  # the run and its project's name: one query
            found = s.execute(query).first()
            if found is None:
                raise NotFoundError(f"no run {run_id!r}")
            row, name = found
            return run_info_of(row, name or row.project_id)

    def run_snapshot_id(self, run_id: str) -> str:
        with self._session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r}")
            return row.snapshot_id

    def run_cycles(self, run_id: str) -> list[list[str]]:
        with self._session() as s:
            row = s.get(RunRow, run_id)
            return list(row.cycles) if row else []

    def run_nodes(self, run_id: str, node_ids: Collection[str] | None = None) -> list[RunNode]:
        """The run's nodes by service name (only those of `node_ids`, when given)."""
        query = select(RunNodeRow).where(RunNodeRow.run_id == run_id)
        if node_ids is not None:
            query = query.where(RunNodeRow.node_id.in_(list(node_ids)))
        with self._session() as s:
            rows = s.scalars(query.order_by(RunNodeRow.service_name))
            return [run_node_of(r) for r in rows]

    def run_node(self, run_id: str, node_id: str) -> RunNode:
        with self._session() as s:
            row = s.get(RunNodeRow, (run_id, node_id))
            if row is None:
                raise NotFoundError(f"node {node_id!r} is not part of run {run_id!r}")
            return run_node_of(row)

    def runs_of_batch(self, batch_id: str) -> list[RunInfo]:
        with self._session() as s:
            ids = list(s.scalars(select(RunRow.id).where(RunRow.batch_id == batch_id)))
        return [self.run_info(i) for i in ids]


def run_node_of(row: RunNodeRow) -> RunNode:
    # the row's columns have the fields' types already: no validation (a run's every node is
    # read by several steps of each of its nodes)
    return RunNode.model_construct(
        node_id=row.node_id,
        service_name=row.service_name,
        status=ServiceStatus(row.status),
        streamed_tokens=row.streamed_tokens,
        generation_id=row.generation_id,
        error=row.error,
        error_code=row.error_code,
        error_status=row.error_status,
        updated_at=aware(row.updated_at),
        heartbeat_at=aware(row.heartbeat_at) if row.heartbeat_at else None,
        redispatches=row.redispatches or 0,
    )
