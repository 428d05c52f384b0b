"""Generations, validation results and contracts."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Table,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
    update,
)

from codegen_tasks.adapters.history.runs import run_node_of
from codegen_tasks.adapters.history.session import SessionStore, insert_or_nothing
from codegen_tasks.adapters.history.tables import (
    ContractRow,
    GenerationRow,
    RunNodeRow,
    ValidationRow,
)
from codegen_tasks.domain.records import (
    ContractsRecord,
    GenerationRecord,
    RunNode,
    ValidationRecord,
)
from codegen_tasks.domain.results import Contract, ServiceStatus, ValidationResult
from codegen_tasks.errors import HistoryError, NotFoundError

# one statement built once, the values its parameters (the columns they name are SET)
_UPDATE_GENERATION = update(cast(Table, GenerationRow.__table__)).where(
    GenerationRow.id == bindparam("b_id")
)


class ResultStore(SessionStore):
    # generations
    def record_generation(self, record: GenerationRecord) -> GenerationRecord:
        """Insert once per idempotency key; a redelivered task gets the first record back.
        One statement (`ON CONFLICT DO NOTHING`): no read first, no failed insert that
        would abort an enclosing transaction."""
        values = record.model_dump(mode="json") | {"created_at": record.created_at}
        with self._session() as s:
            inserted = s.execute(
                insert_or_nothing(self.engine, GenerationRow).returning(GenerationRow.id), values
            ).scalar_one_or_none()
        if inserted is not None:
            return record
        found = self.generation_by_key(record.idempotency_key)
        if found is None:  # the id, not the key, exists already
            raise HistoryError(f"generation id {record.id!r} is taken", retryable=False)
        return found

    def update_generation(
        self, generation_id: str, status: ServiceStatus, error: str | None = None
    ) -> None:
        """Mark a generation failed (or back to succeeded) once validation has spoken: one
        UPDATE (a loaded row is expired, as in `set_node`)."""
        with self._session() as s:
            result = s.execute(
                _UPDATE_GENERATION,
                {"b_id": generation_id, "status": status.value, "error": error},
            )
            loaded = s.identity_map.get(s.identity_key(GenerationRow, generation_id))
            if loaded is not None:
                s.expire(loaded)
            if not cast(CursorResult[Any], result).rowcount:
                raise NotFoundError(f"no generation {generation_id!r}")

    def generation_by_key(self, key: str) -> GenerationRecord | None:
        with self._session() as s:
            row = s.scalars(
                select(GenerationRow).where(GenerationRow.idempotency_key == key)
            ).first()
            return _generation(row) if row else None

    def node_generation(self, run_id: str, node_id: str) -> tuple[RunNode, GenerationRecord | None]:
        """A run's node and the generation it points at (None while it has none), in one
        query."""
        query = (
            select(RunNodeRow, GenerationRow)
            .outerjoin(GenerationRow, GenerationRow.id == RunNodeRow.generation_id)
            .where(RunNodeRow.run_id == run_id, RunNodeRow.node_id == node_id)
        )
        with self._session() as s:
            found = s.execute(query).first()
            if found is None:
                raise NotFoundError(f"node {node_id!r} is not part of run {run_id!r}")
            node, generation = found
            if node.generation_id is not None and generation is None:
                raise NotFoundError(f"no generation {node.generation_id!r}")
            return run_node_of(node), _generation(generation) if generation else None

    def generation(self, generation_id: str) -> GenerationRecord:
        with self._session() as s:
            row = s.get(GenerationRow, generation_id)
            if row is None:
                raise NotFoundError(f"no generation {generation_id!r}")
            return _generation(row)

    def latest_generation(
        self,
        project_id: str,
        node_id: str,
        *,
        succeeded: bool = False,
        before: GenerationRecord | None = None,
    ) -> GenerationRecord | None:
        """The node's latest generation (successful only, or older than `before`, on request)."""
        query = select(GenerationRow).where(
            GenerationRow.project_id == project_id, GenerationRow.node_id == node_id
        )
        if succeeded:
            query = query.where(GenerationRow.status == ServiceStatus.SUCCEEDED.value)
        if before is not None:
            query = query.where(
                GenerationRow.created_at <= before.created_at, GenerationRow.id != before.id
            )
        with self._session() as s:
            row = s.scalars(query.order_by(GenerationRow.created_at.desc()).limit(1)).first()
            return _generation(row) if row else None

    def latest_successes(
        self, project_id: str, node_ids: Collection[str]
    ) -> dict[str, GenerationRecord]:
        """Each node's latest successful generation, by node id (nodes without one left
        out): `latest_generation(..., succeeded=True)` of many nodes in one query."""
        return self._latest_successes(project_id, list(node_ids))

    def successes_before(
        self, project_id: str, later: Collection[GenerationRecord]
    ) -> dict[str, GenerationRecord]:
        """Each one's node's latest successful generation older than it, by node id:
        `latest_generation(..., succeeded=True, before=g)` of many in one query."""
        if not later:
            return {}
        bound = case({g.node_id: g.created_at for g in later}, value=GenerationRow.node_id)
        return self._latest_successes(
            project_id,
            [g.node_id for g in later],
            GenerationRow.created_at <= bound,
            GenerationRow.id.not_in([g.id for g in later]),
        )

    def _latest_successes(
        self, project_id: str, node_ids: list[str], *conditions: ColumnElement[bool]
    ) -> dict[str, GenerationRecord]:
        """Each node's latest successful generation that meets `conditions`, by node id."""
        ranked = (
            select(
                GenerationRow.id,
                func.row_number()
                .over(partition_by=GenerationRow.node_id, order_by=GenerationRow.created_at.desc())
                .label("rank"),
            )
            .where(
                GenerationRow.project_id == project_id,
                GenerationRow.node_id.in_(node_ids),
                GenerationRow.status == ServiceStatus.SUCCEEDED.value,
                *conditions,
            )
            .subquery()
        )
        query = select(GenerationRow).join(ranked, GenerationRow.id == ranked.c.id)
        with self._session() as s:
            rows = s.scalars(query.where(ranked.c.rank == 1))
            return {row.node_id: _generation(row) for row in rows}

    def generations(self, generation_ids: Collection[str]) -> dict[str, GenerationRecord]:
        """Several generations by id, in one query (unknown ids left out)."""
        query = select(GenerationRow).where(GenerationRow.id.in_(list(generation_ids)))
        with self._session() as s:
            return {row.id: _generation(row) for row in s.scalars(query)}

    # validation and contracts
    def record_validation(self, record: ValidationRecord) -> None:
        """Insert once per idempotency key; a repeat only dates the recorded verdict anew
        (it is the generation's latest again)."""
        values = record.result.model_dump(exclude={"errors", "warnings"})
        with self._session() as s:  # one INSERT; the repeat's UPDATE only when it did nothing
            inserted = s.execute(
                insert_or_nothing(self.engine, ValidationRow).returning(ValidationRow.id),
                {
                    "id": record.id,
                    "idempotency_key": record.idempotency_key,
                    "generation_id": record.generation_id,
                    "run_id": record.run_id,
                    "node_id": record.node_id,
                    "errors": [f.wire() for f in record.result.errors],
                    "warnings": [f.wire() for f in record.result.warnings],
                    "created_at": record.created_at,
                    **values,
                },
            ).scalar_one_or_none()
            if inserted is not None:
                return
            dated = s.execute(
                update(ValidationRow)
                .where(ValidationRow.idempotency_key == record.idempotency_key)
                .values(created_at=record.created_at)
                .execution_options(synchronize_session=False)
            )
            if not cast(CursorResult[Any], dated).rowcount:  # the id, not the key, exists
                raise HistoryError(f"validation id {record.id!r} is taken", retryable=False)

    def validation_for(self, generation_id: str) -> ValidationResult | None:
        with self._session() as s:
            row = s.scalars(
                select(ValidationRow)
                .where(ValidationRow.generation_id == generation_id)
                .order_by(ValidationRow.created_at.desc())
                .limit(1)
            ).first()
            return _validation(row) if row is not None else None

    def validations_for(self, generation_ids: Collection[str]) -> dict[str, ValidationResult]:
        """`validation_for` of several generations in one query (those without one left out)."""
        ranked = (
            select(
                ValidationRow.id,
                func.row_number()
                .over(
                    partition_by=ValidationRow.generation_id,
                    order_by=ValidationRow.created_at.desc(),
                )
                .label("rank"),
            )
            .where(ValidationRow.generation_id.in_(list(generation_ids)))
            .subquery()
        )
        query = select(ValidationRow).join(ranked, ValidationRow.id == ranked.c.id)
        with self._session() as s:
            rows = s.scalars(query.where(ranked.c.rank == 1))
            return {row.generation_id: _validation(row) for row in rows}

    def record_contracts(self, record: ContractsRecord) -> None:
        """Replace the contract set of a generation (idempotent): one DELETE, one INSERT of
        every row."""
        rows = [
            {"generation_id": record.generation_id, "node_id": record.node_id, **c.model_dump()}
            for c in record.contracts
        ]
        with self._session() as s:
            s.execute(
                delete(ContractRow)
                .where(ContractRow.generation_id == record.generation_id)
                .execution_options(synchronize_session=False)
            )
            if rows:
                s.execute(insert(ContractRow), rows)

    def contracts_for(self, generation_id: str) -> list[Contract]:
        with self._session() as s:
            rows = s.scalars(
                select(ContractRow)
                .where(ContractRow.generation_id == generation_id)
                .order_by(ContractRow.id)
            )
            return [_contract(r) for r in rows]

    def contracts_of(self, generation_ids: Collection[str]) -> dict[str, list[Contract]]:
        """`contracts_for` of several generations in one query (every id a key)."""
        found: dict[str, list[Contract]] = {g: [] for g in generation_ids}
        with self._session() as s:
            rows = s.scalars(
                select(ContractRow)
                .where(ContractRow.generation_id.in_(list(found)))
                .order_by(ContractRow.id)
            )
            for row in rows:
                found[row.generation_id].append(_contract(row))
        return found


def _generation(row: GenerationRow) -> GenerationRecord:
    return GenerationRecord.model_validate(row, from_attributes=True)


def _validation(row: ValidationRow) -> ValidationResult:
    return ValidationResult.model_validate(
        {
            "structural_passed": row.structural_passed,
            "contract_passed": row.contract_passed,
            "typescript_passed": row.typescript_passed,
            "build_passed": row.build_passed,
            "health_check_passed": row.health_check_passed,
            "contract_discovery_passed": row.contract_discovery_passed,
            "runtime_passed": row.runtime_passed,
            "errors": row.errors,
            "warnings": row.warnings,
        }
    )


def _contract(row: ContractRow) -> Contract:
    return Contract(
        pattern=row.pattern,
        type="event" if row.type == "event" else "request",
        request_type=row.request_type,
        response_type=row.response_type,
        description=row.description,
        handler=row.handler,
        file=row.file,
        line=row.line,
    )
