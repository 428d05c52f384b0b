"""SQLAlchemy tables of the history store. Alembic migrations mirror these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


class ProjectRow(Base):
    __tablename__ = "projects"

    id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SnapshotRow(Base):
    __tablename__ = "graph_snapshots"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # project id + graph hash
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    graph_hash: Mapped[str] = mapped_column(String(64))
    graph: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class RunRow(Base):
    __tablename__ = "runs"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    snapshot_id: Mapped[str] = mapped_column(ForeignKey("graph_snapshots.id"))
    kind: Mapped[str] = mapped_column(String(32), default="generate")
    status: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(200))
    force_regenerate: Mapped[bool] = mapped_column(Boolean, default=False)
    user_id: Mapped[str | None] = mapped_column(String(128), index=True)
    batch_id: Mapped[str | None] = mapped_column(String(64), index=True)
    cycles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # the contract changes against the last successful contracts; NULL until the run closes
    breaking_changes: Mapped[list[Any] | None] = mapped_column(JSON)
    # how its nodes are generated and checked, for steps dispatched again (NULL: defaults)
    mode: Mapped[str | None] = mapped_column(String(16))
    stream: Mapped[bool | None] = mapped_column(Boolean)
    ai_review: Mapped[bool | None] = mapped_column(Boolean)


class RunNodeRow(Base):
    """Live per-node progress of a run, read by `codegen status` and the CLI display."""

    __tablename__ = "run_nodes"

    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id"), primary_key=True)
    node_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    service_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    streamed_tokens: Mapped[int] = mapped_column(Integer, default=0)
    generation_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_status: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))  # its last progress
    # the last beat of a task working on it (alive), and how often the liveness sweep sent
    # its remaining steps again
    heartbeat_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    redispatches: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class GenerationRow(Base):
    __tablename__ = "generation_history"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    project_id: Mapped[str] = mapped_column(String(128), index=True)
    node_id: Mapped[str] = mapped_column(String(128), index=True)
    service_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))
    model: Mapped[str] = mapped_column(String(200))
    answered_model: Mapped[str | None] = mapped_column(String(200))
    prompt_version: Mapped[str] = mapped_column(String(32))
    request_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    inputs_hash: Mapped[str] = mapped_column(String(64), index=True)
    files: Mapped[list[Any]] = mapped_column(JSON, default=list)
    bundle_uri: Mapped[str | None] = mapped_column(Text)
    cached: Mapped[bool] = mapped_column(Boolean, default=False)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    duration_ms: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_status: Mapped[int | None] = mapped_column(Integer)
    user_id: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ValidationRow(Base):
    __tablename__ = "validation_results"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generation_history.id"), index=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    node_id: Mapped[str] = mapped_column(String(128))
    structural_passed: Mapped[bool | None] = mapped_column(Boolean)
    contract_passed: Mapped[bool | None] = mapped_column(Boolean)
    typescript_passed: Mapped[bool | None] = mapped_column(Boolean)
    build_passed: Mapped[bool | None] = mapped_column(Boolean)
    health_check_passed: Mapped[bool | None] = mapped_column(Boolean)
    contract_discovery_passed: Mapped[bool | None] = mapped_column(Boolean)
    runtime_passed: Mapped[bool | None] = mapped_column(Boolean)
    errors: Mapped[list[Any]] = mapped_column(JSON, default=list)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class ContractRow(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    generation_id: Mapped[str] = mapped_column(ForeignKey("generation_history.id"), index=True)
    node_id: Mapped[str] = mapped_column(String(128), index=True)
    pattern: Mapped[str] = mapped_column(String(500))
    type: Mapped[str] = mapped_column(String(16))
    request_type: Mapped[str | None] = mapped_column(String(500))
    response_type: Mapped[str | None] = mapped_column(String(500))
    description: Mapped[str | None] = mapped_column(Text)
    handler: Mapped[str | None] = mapped_column(String(200))
    file: Mapped[str | None] = mapped_column(String(300))
    line: Mapped[int] = mapped_column(Integer, default=0)


class LLMCallRow(Base):
    __tablename__ = "llm_calls"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    project_id: Mapped[str | None] = mapped_column(String(128), index=True)
    node_id: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[str | None] = mapped_column(String(128), index=True)
    purpose: Mapped[str] = mapped_column(String(32))
    model: Mapped[str] = mapped_column(String(200))
    answered_model: Mapped[str | None] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64), index=True)
    outcome: Mapped[str] = mapped_column(String(16))  # ok | cached | error
    finish_reason: Mapped[str | None] = mapped_column(String(32))
    prompt_tokens: Mapped[int] = mapped_column(Integer, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    latency_ms: Mapped[float] = mapped_column(Float, default=0.0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class BudgetLockRow(Base):
    """One row per budget (scope and key), locked while a call reserves against it."""

    __tablename__ = "budget_locks"

    scope: Mapped[str] = mapped_column(String(16), primary_key=True)  # run | user | project
    key: Mapped[str] = mapped_column(String(128), primary_key=True)


class ReservationRow(Base):
    """A model call in flight: its maximum cost, held against its budgets until settled
    (replaced by its llm_calls row) or expired (its worker died)."""

    __tablename__ = "budget_reservations"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    run_id: Mapped[str | None] = mapped_column(String(64), index=True)
    user_id: Mapped[str | None] = mapped_column(String(128), index=True)
    project_id: Mapped[str] = mapped_column(String(128), index=True)
    model: Mapped[str] = mapped_column(String(200))
    amount_usd: Mapped[float] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
