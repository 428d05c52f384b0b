"""What checks and runs produce: findings, validation levels, contracts, node and run results."""

from __future__ import annotations

from collections.abc import Sequence
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, Field

from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import BudgetExceededError


class ValidationLevel(StrEnum):
    STRUCTURAL = "structural"
    CONTRACT = "contract"
    TYPESCRIPT = "typescript"
    BUILD = "build"
    HEALTH_CHECK = "health_check"
    CONTRACT_DISCOVERY = "contract_discovery"
    RUNTIME = "runtime"


class Finding(Message):
    level: ValidationLevel
    message: str
    file: str | None = None
    line: int = 0


class LevelFindings(BaseModel):
    """What one check found: errors decide its level, warnings inform."""

    errors: list[Finding] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.errors


LEVEL_FIELDS = (
    "structural_passed",
    "contract_passed",
    "typescript_passed",
    "build_passed",
    "health_check_passed",
    "contract_discovery_passed",
    "runtime_passed",
)


class ValidationResult(Message):
    """The original service's validation shape; None for a level that was not run."""

    structural_passed: bool | None = None
    contract_passed: bool | None = None
    typescript_passed: bool | None = None
    build_passed: bool | None = None
    health_check_passed: bool | None = None
    contract_discovery_passed: bool | None = None
    runtime_passed: bool | None = None
    errors: list[Finding] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)

    def levels(self) -> dict[ValidationLevel, bool | None]:
        """Each level's verdict, in the order they run; None for a level that was not run."""
        return {
            ValidationLevel(field.removesuffix("_passed")): getattr(self, field)
            for field in LEVEL_FIELDS
        }

    @property
    def passed(self) -> bool:
        """No deterministic level that ran failed."""
        return all(level is not False for level in self.levels().values())

    def with_findings(
        self,
        errors: Sequence[Finding] = (),
        warnings: Sequence[Finding] = (),
        **verdicts: bool,
    ) -> ValidationResult:
        """The one way findings are added to a result: `errors` and `warnings` appended, and
        each level in `verdicts` (`contract_passed=False`, ...) judged again: a level that
        failed stays failed, one not run takes the new verdict."""
        update: dict[str, object] = {
            "errors": [*self.errors, *errors],
            "warnings": [*self.warnings, *warnings],
        }
        for level, passed in verdicts.items():
            if level not in LEVEL_FIELDS:
                raise ValueError(f"{level!r} is not a validation level")
            update[level] = getattr(self, level) is not False and passed
        return self.model_copy(update=update)


class Contract(Message):
    pattern: str
    type: Literal["request", "event"] = "request"
    request_type: str | None = None
    response_type: str | None = None
    description: str | None = None
    handler: str | None = None
    file: str | None = None
    line: int = 0


class ContractSet(Message):
    contracts: list[Contract] = Field(default_factory=list)


class ServiceStatus(StrEnum):
    QUEUED = "queued"
    GENERATING = "generating"
    VALIDATING = "validating"
    DISCOVERING = "discovering"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"

    @property
    def finished(self) -> bool:
        return self in (ServiceStatus.SUCCEEDED, ServiceStatus.FAILED, ServiceStatus.SKIPPED)


class RunStatus(StrEnum):
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    PARTIAL = "partial"
    FAILED = "failed"
    CANCELLED = "cancelled"  # stopped by its user (Ctrl-C in embedded mode)


class ServiceResult(Message):
    node_id: str
    service_name: str
    status: ServiceStatus
    files: int = 0
    bundle_uri: str | None = None
    cached: bool = False
    tokens: int = 0
    cost_usd: float = 0.0
    validation: ValidationResult | None = None
    contracts: list[Contract] = Field(default_factory=list)
    error: str | None = None
    error_code: str | None = None  # e.g. `budget_exceeded` (with error_status 402)
    error_status: int | None = None
    model: str | None = None
    streamed_tokens: int = 0


class BreakingChange(Message):
    """A contract change of a regenerated service that existing callers may not survive."""

    node_id: str
    service_name: str
    kind: Literal[
        "pattern_removed",
        "pattern_renamed",
        "kind_changed",
        "request_field_added",
        "request_narrowed",
        "reply_field_removed",
        "reply_widened",
    ]
    pattern: str
    new_pattern: str | None = None
    message: str


class RunResult(Message):
    project_id: str
    run_id: str
    status: RunStatus
    # The project task answers once the run is planned: this `codegen.finalize_run` task's
    # result is the run's final state (None when the run is final already). Early in the
    # fields: Flower shows a result's first kilobyte.
    final_task_id: str | None = None
    services: list[ServiceResult] = Field(default_factory=list)
    cycles: list[list[str]] = Field(default_factory=list)
    breaking_changes: list[BreakingChange] = Field(default_factory=list)
    error: str | None = None


def run_status(services: list[ServiceResult]) -> RunStatus:
    """succeeded when no node failed, failed when none succeeded, else partial. A run its
    budget stopped (a node refused with `budget_exceeded`) is partial: it was cut short."""
    if any(not s.status.finished for s in services):
        return RunStatus.RUNNING
    failed = [s for s in services if s.status is ServiceStatus.FAILED]
    if not failed:
        return RunStatus.SUCCEEDED
    if any(s.error_code == BudgetExceededError.code for s in failed):
        return RunStatus.PARTIAL
    return RunStatus.FAILED if len(failed) == len(services) else RunStatus.PARTIAL
