"""The history store: one class over SQLAlchemy, speaking in records."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Engine, case, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from codegen_tasks.errors import HistoryError, NotFoundError
from codegen_tasks.history.records import (
    ContractsRecord,
    CostLine,
    GenerationRecord,
    LLMCallRecord,
    RunInfo,
    ValidationRecord,
)
from codegen_tasks.history.tables import (
    ContractRow,
    GenerationRow,
    LLMCallRow,
    ProjectRow,
    RunNodeRow,
    RunRow,
    SnapshotRow,
    ValidationRow,
)
from codegen_tasks.messages import Contract, ServiceStatus, ValidationResult


class RunNode(BaseModel):
    node_id: str
    service_name: str
    status: ServiceStatus
    streamed_tokens: int
    generation_id: str | None
    error: str | None


def graph_hash(graph: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(graph, sort_keys=True).encode()).hexdigest()


class History:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @contextmanager
    def _session(self) -> Iterator[Session]:
        """A transaction; database blips become retryable HistoryErrors."""
        try:
            with self._sessions.begin() as session:
                yield session
        except OperationalError as exc:
            raise HistoryError(f"database unavailable: {exc.orig}", retryable=True) from exc
        except IntegrityError:
            raise
        except SQLAlchemyError as exc:
            raise HistoryError(f"database error: {exc}", retryable=False) from exc

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
        with self._session() as s:
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
        """Create the run and its node rows; False when it exists already (redelivery).
        `generations` gives nodes their generation id up front (nodes skipped as unchanged)."""
        with self._session() as s:
            if s.get(RunRow, run.id) is not None:
                return False
            s.add(
                RunRow(
                    id=run.id,
                    project_id=run.project_id,
                    snapshot_id=snapshot_id,
                    status=run.status,
                    model=run.model,
                    force=run.force,
                    user_id=run.user_id,
                    batch_id=run.batch_id,
                    cycles=cycles,
                    created_at=run.created_at,
                )
            )
            s.flush()
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
    ) -> None:
        with self._session() as s:
            row = s.get(RunNodeRow, (run_id, node_id))
            if row is None:
                raise NotFoundError(f"node {node_id!r} is not part of run {run_id!r}")
            row.status, row.updated_at = status.value, now
            if streamed_tokens is not None:
                row.streamed_tokens = streamed_tokens
            if generation_id is not None:
                row.generation_id = generation_id
            if error is not None or status is not ServiceStatus.FAILED:
                row.error = error

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

    def run_info(self, run_id: str) -> RunInfo:
        with self._session() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                raise NotFoundError(f"no run {run_id!r}")
            project = s.get(ProjectRow, row.project_id)
            return RunInfo(
                id=row.id,
                project_id=row.project_id,
                project_name=project.name if project else row.project_id,
                status=row.status,
                model=row.model,
                force=row.force,
                user_id=row.user_id,
                batch_id=row.batch_id,
                created_at=row.created_at,
                finished_at=row.finished_at,
            )

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

    def run_nodes(self, run_id: str) -> list[RunNode]:
        with self._session() as s:
            rows = s.scalars(
                select(RunNodeRow)
                .where(RunNodeRow.run_id == run_id)
                .order_by(RunNodeRow.service_name)
            )
            return [_run_node(r) for r in rows]

    def run_node(self, run_id: str, node_id: str) -> RunNode:
        with self._session() as s:
            row = s.get(RunNodeRow, (run_id, node_id))
            if row is None:
                raise NotFoundError(f"node {node_id!r} is not part of run {run_id!r}")
            return _run_node(row)

    def runs_of_batch(self, batch_id: str) -> list[RunInfo]:
        with self._session() as s:
            ids = list(s.scalars(select(RunRow.id).where(RunRow.batch_id == batch_id)))
        return [self.run_info(i) for i in ids]

    # generations
    def record_generation(self, record: GenerationRecord) -> GenerationRecord:
        """Insert once per idempotency key; a redelivered task gets the first record back."""
        existing = self.generation_by_key(record.idempotency_key)
        if existing is not None:
            return existing
        try:
            with self._session() as s:
                s.add(
                    GenerationRow(
                        **record.model_dump(mode="json") | {"created_at": record.created_at}
                    )
                )
        except IntegrityError:
            found = self.generation_by_key(record.idempotency_key)
            if found is None:
                raise
            return found
        return record

    def update_generation(
        self, generation_id: str, status: ServiceStatus, error: str | None = None
    ) -> None:
        """Mark a generation failed (or back to succeeded) once validation has spoken."""
        with self._session() as s:
            row = s.get(GenerationRow, generation_id)
            if row is None:
                raise NotFoundError(f"no generation {generation_id!r}")
            row.status, row.error = status.value, error

    def generation_by_key(self, key: str) -> GenerationRecord | None:
        with self._session() as s:
            row = s.scalars(
                select(GenerationRow).where(GenerationRow.idempotency_key == key)
            ).first()
            return _generation(row) if row else None

    def generation(self, generation_id: str) -> GenerationRecord:
        with self._session() as s:
            row = s.get(GenerationRow, generation_id)
            if row is None:
                raise NotFoundError(f"no generation {generation_id!r}")
            return _generation(row)

    def latest_generation(
        self, project_id: str, node_id: str, *, succeeded: bool = False
    ) -> GenerationRecord | None:
        query = select(GenerationRow).where(
            GenerationRow.project_id == project_id, GenerationRow.node_id == node_id
        )
        if succeeded:
            query = query.where(GenerationRow.status == ServiceStatus.SUCCEEDED.value)
        with self._session() as s:
            row = s.scalars(query.order_by(GenerationRow.created_at.desc()).limit(1)).first()
            return _generation(row) if row else None

    # validation and contracts
    def record_validation(self, record: ValidationRecord) -> None:
        values = record.result.model_dump(exclude={"errors", "warnings"})
        with self._session() as s:
            if s.scalars(
                select(ValidationRow.id).where(
                    ValidationRow.idempotency_key == record.idempotency_key
                )
            ).first():
                return
            s.add(
                ValidationRow(
                    id=record.id,
                    idempotency_key=record.idempotency_key,
                    generation_id=record.generation_id,
                    run_id=record.run_id,
                    node_id=record.node_id,
                    errors=[f.wire() for f in record.result.errors],
                    warnings=[f.wire() for f in record.result.warnings],
                    created_at=record.created_at,
                    **values,
                )
            )

    def validation_for(self, generation_id: str) -> ValidationResult | None:
        with self._session() as s:
            row = s.scalars(
                select(ValidationRow)
                .where(ValidationRow.generation_id == generation_id)
                .order_by(ValidationRow.created_at.desc())
                .limit(1)
            ).first()
            if row is None:
                return None
            return ValidationResult.model_validate(
                {
                    "structural_passed": row.structural_passed,
                    "contract_passed": row.contract_passed,
                    "typescript_passed": row.typescript_passed,
                    "build_passed": row.build_passed,
                    "health_check_passed": row.health_check_passed,
                    "contract_discovery_passed": row.contract_discovery_passed,
                    "errors": row.errors,
                    "warnings": row.warnings,
                }
            )

    def record_contracts(self, record: ContractsRecord) -> None:
        """Replace the contract set of a generation (idempotent)."""
        with self._session() as s:
            for old in s.scalars(
                select(ContractRow).where(ContractRow.generation_id == record.generation_id)
            ):
                s.delete(old)
            s.flush()
            for c in record.contracts:
                s.add(
                    ContractRow(
                        generation_id=record.generation_id,
                        node_id=record.node_id,
                        **c.model_dump(),
                    )
                )

    def contracts_for(self, generation_id: str) -> list[Contract]:
        with self._session() as s:
            rows = s.scalars(
                select(ContractRow)
                .where(ContractRow.generation_id == generation_id)
                .order_by(ContractRow.id)
            )
            return [
                Contract(
                    pattern=r.pattern,
                    type="event" if r.type == "event" else "request",
                    request_type=r.request_type,
                    response_type=r.response_type,
                    description=r.description,
                    handler=r.handler,
                    file=r.file,
                    line=r.line,
                )
                for r in rows
            ]

    # LLM calls and money
    def record_llm_call(self, record: LLMCallRecord) -> None:
        with self._session() as s:
            if s.get(LLMCallRow, record.id) is None:
                s.add(LLMCallRow(**record.model_dump()))

    def llm_calls(self, run_id: str) -> list[LLMCallRecord]:
        with self._session() as s:
            rows = s.scalars(
                select(LLMCallRow)
                .where(LLMCallRow.run_id == run_id)
                .order_by(LLMCallRow.created_at)
            )
            return [LLMCallRecord.model_validate(r, from_attributes=True) for r in rows]

    def spent(self, *, run_id: str | None = None, user_id: str | None = None) -> float:
        query = select(func.coalesce(func.sum(LLMCallRow.cost_usd), 0.0))
        if run_id is not None:
            query = query.where(LLMCallRow.run_id == run_id)
        if user_id is not None:
            query = query.where(LLMCallRow.user_id == user_id)
        with self._session() as s:
            return float(s.scalar(query) or 0.0)

    def costs(
        self,
        group_by: str = "project",
        *,
        project_id: str | None = None,
        user_id: str | None = None,
        since: datetime | None = None,
    ) -> list[CostLine]:
        column = {
            "project": LLMCallRow.project_id,
            "user": LLMCallRow.user_id,
            "model": LLMCallRow.model,
            "run": LLMCallRow.run_id,
        }[group_by]
        query = select(
            column,
            func.count(),
            func.sum(case((LLMCallRow.outcome == "cached", 1), else_=0)),
            func.coalesce(func.sum(LLMCallRow.prompt_tokens), 0),
            func.coalesce(func.sum(LLMCallRow.completion_tokens), 0),
            func.coalesce(func.sum(LLMCallRow.cost_usd), 0.0),
        ).group_by(column)
        if project_id is not None:
            query = query.where(LLMCallRow.project_id == project_id)
        if user_id is not None:
            query = query.where(LLMCallRow.user_id == user_id)
        if since is not None:
            query = query.where(LLMCallRow.created_at >= since)
        with self._session() as s:
            return [
                CostLine(
                    key=str(key or "-"),
                    calls=int(calls),
                    cached_calls=int(cached or 0),
                    prompt_tokens=int(pt),
                    completion_tokens=int(ct),
                    cost_usd=float(cost),
                )
                for key, calls, cached, pt, ct, cost in s.execute(query.order_by(column))
            ]


def _run_node(row: RunNodeRow) -> RunNode:
    return RunNode(
        node_id=row.node_id,
        service_name=row.service_name,
        status=ServiceStatus(row.status),
        streamed_tokens=row.streamed_tokens,
        generation_id=row.generation_id,
        error=row.error,
    )


def _generation(row: GenerationRow) -> GenerationRecord:
    return GenerationRecord.model_validate(row, from_attributes=True)
