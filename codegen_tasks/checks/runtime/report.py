"""The probe's transcript and the runtime check's report (the health_check and runtime levels)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic import JsonValue as Json

from codegen_tasks.domain.results import Finding
from codegen_tasks.domain.wire import Message


class Exit(Message):
    code: int | None = None
    signal: str | None = None


class StepRecord(Message):
    """What one sent message got back: a reply, an error (the RPC `err`), or a timeout."""

    name: str
    pattern: str
    data: dict[str, Json] = Field(default_factory=dict)
    reply: Any = None
    error: Any = None
    timed_out: bool = False
    ms: int = 0
    alive: bool = True


class HttpHealth(Message):
    status: int
    body: str = ""
    error: str | None = None


class Transcript(Message):
    """The probe's output (camelCase JSON on its stdout)."""

    model_config = ConfigDict(extra="ignore")

    listening: bool = False
    boot_ms: int = 0
    steps: list[StepRecord] = Field(default_factory=list)
    http: HttpHealth | None = None
    exited: Exit | None = None
    stdout: str = ""
    stderr: str = ""
    probe_error: str | None = None


NO_HANDLER = "There is no matching message handler"  # NestJS's reply to an unknown pattern


class RuntimeReport(BaseModel):
    """Findings of the health_check (booted and answered) and runtime (handlers) levels.

    `skipped` says why the service was not run; `runtime_passed` is None when the handlers
    were not exercised (skipped, or the service never answered its health check); `reused`
    when an earlier check of the same inputs gave it (nothing was booted)."""

    model_config = ConfigDict(frozen=True)

    health: list[Finding] = Field(default_factory=list)
    runtime: list[Finding] = Field(default_factory=list)
    warnings: list[Finding] = Field(default_factory=list)
    skipped: str | None = None
    exercised: bool = False
    seconds: float = 0.0
    reused: bool = False  # the verdict of an earlier check of the same inputs

    def errors(self, handler_missing: bool = False) -> list[Finding]:
        """Its findings. When the static health_check level already reports the handler
        missing, the live "no handler" answer to the health check is that same cause."""
        health = [f for f in self.health if not (handler_missing and NO_HANDLER in f.message)]
        return [*health, *self.runtime]

    @property
    def health_passed(self) -> bool | None:
        return None if self.skipped else not self.health

    @property
    def runtime_passed(self) -> bool | None:
        if self.skipped or not self.exercised:
            return None
        return not self.runtime
