"""Generations, validation results and contracts."""

from __future__ import annotations

from sqlalchemy import select

from codegen_tasks.adapters.history.session import SessionStore, insert_or_nothing
from codegen_tasks.adapters.history.tables import (
    ContractRow,
    GenerationRow,
    ValidationRow,
)
from codegen_tasks.domain.records import (
    ContractsRecord,
    GenerationRecord,
    ValidationRecord,
)
from codegen_tasks.domain.results import Contract, ServiceStatus, ValidationResult
from codegen_tasks.errors import HistoryError, NotFoundError


class ResultStore(SessionStore):
    # generations
    def record_generation(self, record: GenerationRecord) -> GenerationRecord:
        """Insert once per idempotency key; a redelivered task gets the first record back.
        One statement (`ON CONFLICT DO NOTHING`): no read first, no failed insert that
        would abort an enclosing transaction."""
        values = record.model_dump(mode="json") | {"created_at": record.created_at}
        with self._session() as s:
            inserted = s.execute(
                insert_or_nothing(self.engine, GenerationRow)
                .values(**values)
                .returning(GenerationRow.id)
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

    # validation and contracts
    def record_validation(self, record: ValidationRecord) -> None:
        """Insert once per idempotency key; a repeat only dates the recorded verdict anew
        (it is the generation's latest again)."""
        values = record.result.model_dump(exclude={"errors", "warnings"})
        with self._session() as s:
            existing = s.scalars(
                select(ValidationRow).where(ValidationRow.idempotency_key == record.idempotency_key)
            ).first()
            if existing is not None:
                existing.created_at = record.created_at
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
                    "runtime_passed": row.runtime_passed,
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


def _generation(row: GenerationRow) -> GenerationRecord:
    return GenerationRecord.model_validate(row, from_attributes=True)
