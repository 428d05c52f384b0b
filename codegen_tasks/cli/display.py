"""Rich rendering for the CLI: the live per-node progress and the final tables."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from codegen_tasks.api.results import FolderValidation, ServiceValidation
from codegen_tasks.domain.records import RunNode
from codegen_tasks.domain.results import RunResult, ServiceResult, ServiceStatus, ValidationLevel

STEP = {
    ServiceStatus.QUEUED: 0,
    ServiceStatus.GENERATING: 1,
    ServiceStatus.VALIDATING: 2,
    ServiceStatus.DISCOVERING: 3,
    ServiceStatus.SUCCEEDED: 4,
    ServiceStatus.FAILED: 4,
    ServiceStatus.SKIPPED: 4,
}
COLOUR = {
    ServiceStatus.SUCCEEDED: "green",
    ServiceStatus.FAILED: "red",
    ServiceStatus.SKIPPED: "cyan",
}


class RunProgress:
    """One progress bar per service node: queued → generating → validating → done/failed."""

    def __init__(self, console: Console) -> None:
        self.progress = Progress(
            SpinnerColumn(),
            TextColumn("[bold]{task.description:<24}"),
            BarColumn(bar_width=20),
            TextColumn("{task.fields[status]:<11}"),
            TextColumn("{task.fields[tokens]}"),
            TimeElapsedColumn(),
            console=console,
            transient=False,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RunProgress:
        self.progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.progress.stop()

    def update(self, nodes: list[RunNode]) -> None:
        for node in nodes:
            colour = COLOUR.get(node.status, "yellow")
            status = f"[{colour}]{node.status.value}[/]"
            tokens = f"{node.streamed_tokens} tokens" if node.streamed_tokens else ""
            if node.node_id not in self._tasks:
                self._tasks[node.node_id] = self.progress.add_task(
                    node.service_name, total=4, status=status, tokens=tokens
                )
            self.progress.update(
                self._tasks[node.node_id], completed=STEP[node.status], status=status, tokens=tokens
            )


def run_table(result: RunResult) -> Table:
    table = Table(title=f"run {result.run_id} — {result.status.value}")
    for column in ("service", "status", "files", "cached", "tokens", "cost $", "checks", "error"):
        table.add_column(column)
    for s in result.services:
        checks = ""
        if s.validation is not None:
            checks = "passed" if s.validation.passed else f"{len(s.validation.errors)} error(s)"
        table.add_row(
            s.service_name,
            f"[{COLOUR.get(s.status, 'yellow')}]{s.status.value}[/]",
            str(s.files),
            "yes" if s.cached else "",
            str(s.tokens),
            f"{s.cost_usd:.4f}",
            checks,
            _error_cell(s),
        )
    return table


def _error_cell(service: ServiceResult) -> str:
    """The node's error, led by its code and status when it has them (`budget_exceeded 402`)."""
    if not service.error:
        return ""
    status = f" {service.error_status}" if service.error_status is not None else ""
    code = f"{service.error_code}{status}: " if service.error_code else ""
    return (code + service.error)[:200]


LEVEL_COLUMNS = {
    ValidationLevel.STRUCTURAL: "structure",
    ValidationLevel.CONTRACT: "contract",
    ValidationLevel.TYPESCRIPT: "ts",
    ValidationLevel.BUILD: "build",
    ValidationLevel.HEALTH_CHECK: "health",
    ValidationLevel.CONTRACT_DISCOVERY: "discovery",
}
MARK = {True: "[green]ok[/]", False: "[red]failed[/]", None: "[dim]not run[/]"}


def validation_table(title: str, services: Sequence[ServiceValidation | FolderValidation]) -> Table:
    """One row per service: each level's verdict and the first error."""
    table = Table(title=f"validation of {title}")
    table.add_column("service")
    for column in LEVEL_COLUMNS.values():
        table.add_column(column)
    table.add_column("first error")
    for s in services:
        if isinstance(s, FolderValidation) and s.source == "code":
            table.caption = "code only: not an export, so no graph node says what it must handle"
        levels = s.validation.levels() if s.validation is not None else {}
        table.add_row(
            s.service_name,
            *(MARK[levels.get(level)] for level in LEVEL_COLUMNS),
            _first_error(s)[:90],
        )
    return table


def _first_error(service: ServiceValidation | FolderValidation) -> str:
    """The first error, led by where it is (`file:line`); else why there is no validation."""
    errors = service.validation.errors if service.validation is not None else []
    if not errors:
        return (service.error if isinstance(service, ServiceValidation) else None) or ""
    first = errors[0]
    return (f"{first.file}:{first.line} " if first.file else "") + first.message


def breaking_table(result: RunResult) -> Table | None:
    """The run's breaking contract changes, or None when it has none."""
    if not result.breaking_changes:
        return None
    table = Table(title="breaking changes against the last successful contracts")
    for column in ("service", "change", "pattern", "now", "detail"):
        table.add_column(column)
    for c in result.breaking_changes:
        table.add_row(c.service_name, c.kind, c.pattern, c.new_pattern or "", c.message[:160])
    return table
