"""LLM calls and what they cost, by run, project, user or model."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, func, select

from codegen_tasks.adapters.history.session import SessionStore, insert_or_nothing
from codegen_tasks.adapters.history.tables import (
    LLMCallRow,
)
from codegen_tasks.domain.records import (
    CostLine,
    LLMCallRecord,
)


class SpendStore(SessionStore):
    # LLM calls and money
    def record_llm_call(self, record: LLMCallRecord) -> None:
        """One row per call id, however often it is recorded (outbox replays)."""
        with self._session() as s:
            s.execute(insert_or_nothing(self.engine, LLMCallRow), record.model_dump())

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
