"""What the pipeline writes to history: plain pydantic records, independent of SQL."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from codegen_tasks.domain.results import Contract, ServiceStatus, ValidationResult

FileSource = Literal["model", "builtin"]


class FileEntry(BaseModel):
    path: str
    sha256: str
    size: int
    # who wrote it: the model, or the built-in generator (hybrid mode's skeleton, the
    # builtin model); None in records older than the field
    source: FileSource | None = None


class GenerationRecord(BaseModel):
    """One generation of one node (the `codegen.generate_service` result, camelCase on the
    wire). `idempotency_key` makes redelivery harmless."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str
    idempotency_key: str
    run_id: str | None
    project_id: str
    node_id: str
    service_name: str
    status: ServiceStatus
    model: str
    answered_model: str | None = None
    prompt_version: str
    request_hash: str | None = None  # the LLM request that answered: joins llm_calls
    inputs_hash: str
    files: list[FileEntry] = Field(default_factory=list)
    bundle_uri: str | None = None
    cached: bool = False
    attempts: int = 1
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    duration_ms: float = 0.0
    error: str | None = None
    error_code: str | None = None  # our error's code, e.g. `budget_exceeded`
    error_status: int | None = None  # its HTTP-like status, e.g. 402
    user_id: str | None = None
    created_at: datetime


class ValidationRecord(BaseModel):
    id: str
    idempotency_key: str
    generation_id: str
    run_id: str | None
    node_id: str
    result: ValidationResult
    created_at: datetime


class ContractsRecord(BaseModel):
    generation_id: str
    node_id: str
    contracts: list[Contract]


class LLMCallRecord(BaseModel):
    id: str
    run_id: str | None
    project_id: str | None
    node_id: str | None
    user_id: str | None
    purpose: str  # generate | repair | plan | review | discover
    model: str
    answered_model: str | None = None
    request_hash: str
    outcome: str  # ok | cached | error
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    latency_ms: float = 0.0
    error: str | None = None
    created_at: datetime


class RunInfo(BaseModel):
    id: str
    project_id: str
    project_name: str
    status: str
    model: str
    force_regenerate: bool
    user_id: str | None
    batch_id: str | None
    created_at: datetime
    finished_at: datetime | None
    mode: str | None = None  # how its nodes are generated (None: the default mode)
    stream: bool = False
    ai_review: bool = False


class RunNode(BaseModel):
    """One node's live state in a run."""

    node_id: str
    service_name: str
    status: ServiceStatus
    streamed_tokens: int
    generation_id: str | None
    error: str | None
    error_code: str | None = None
    error_status: int | None = None
    updated_at: datetime | None = None  # the node's last progress (a step, streamed tokens)
    heartbeat_at: datetime | None = None  # the last beat of a task working on it
    redispatches: int = 0  # its remaining steps sent again by the liveness sweep


class CostLine(BaseModel):
    key: str  # project id, user id or model, by the grouping asked for
    calls: int
    cached_calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class ProjectInfo(BaseModel):
    """A stored project for `codegen projects` (camelCase on the wire)."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    id: str
    name: str
    runs: int
    last_run_id: str | None
    last_run_status: str | None
    updated_at: datetime
