"""Enqueue codegen tasks by name and wait for them, without importing the task code.

With CODEGEN_BROKER_URL set the tasks go to the workers through the broker; without it
they run in this process (embedded mode), so the same calls work on a bare machine.
"""

from __future__ import annotations

import time
from typing import Any

from celery import Celery
from celery.result import AsyncResult

from codegen_tasks.errors import CodegenError, TaskFailedError
from codegen_tasks.messages import (
    ContractsPayload,
    GenerateProjectPayload,
    GenerateServicePayload,
    Message,
    RegenerateProjectsPayload,
    ValidatePayload,
)
from codegen_tasks.settings import Settings, get_settings

TASKS: dict[str, type[Message]] = {
    "codegen.generate_project": GenerateProjectPayload,
    "codegen.generate_service": GenerateServicePayload,
    "codegen.validate_project": ValidatePayload,
    "codegen.validate_service": ValidatePayload,
    "codegen.discover_contracts": ContractsPayload,
    "codegen.validate_contracts": ContractsPayload,
    "codegen.regenerate_projects": RegenerateProjectsPayload,
}
SUMMARY_FIELDS = ("projectId", "nodeId", "runId", "aiModel", "forceRegenerate", "projectIds", "all")


def summary(payload: dict[str, Any]) -> str:
    """What Flower shows as the task's arguments: ids and model only, never graphs or secrets."""
    shown = {k: payload[k] for k in SUMMARY_FIELDS if payload.get(k) not in (None, False)}
    if payload.get("graph") is not None:
        shown["graph"] = "<inline>"
    return repr(shown)


class CodegenClient:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.embedded = not self.settings.broker_url
        self._app: Celery | None = None
        self._eager: dict[str, Any] = {}

    @property
    def app(self) -> Celery:
        if self._app is None:
            if self.embedded:
                from workers.tasks import app as embedded_app  # registers the tasks

                self._app = embedded_app
            else:
                self._app = Celery(
                    "codegen-client",
                    broker=self.settings.broker_url,
                    backend=self.settings.effective_result_backend,
                )
                self._app.conf.update(task_serializer="json", accept_content=["json"])
                from workers.routing import TASK_ROUTES

                self._app.conf.task_routes = TASK_ROUTES
        return self._app

    def enqueue(self, task_name: str, payload: Message | dict[str, Any], **options: Any) -> str:
        """Validate the payload against the task's schema and send it; returns the task id."""
        model = TASKS.get(task_name)
        if model is None:
            raise CodegenError(f"unknown task {task_name!r}; known: {sorted(TASKS)}")
        data = (payload if isinstance(payload, Message) else model.model_validate(payload)).wire()
        if self.embedded:
            eager = self.app.tasks[task_name].apply(args=[data], **options)
            self._eager[str(eager.id)] = eager.get()
            return str(eager.id)
        result = self.app.send_task(
            task_name, args=[data], argsrepr=summary(data), kwargsrepr="{}", **options
        )
        return str(result.id)

    def result(self, task_id: str) -> AsyncResult:
        return AsyncResult(task_id, app=self.app)

    def wait(self, task_id: str, timeout: float = 600.0, poll_s: float = 0.5) -> Any:
        """The task's JSON result; TaskFailedError with the original error's data on failure."""
        if task_id in self._eager:
            return self._eager[task_id]
        result = self.result(task_id)
        deadline = time.monotonic() + timeout
        while not result.ready():
            if time.monotonic() > deadline:
                raise CodegenError(f"task {task_id} did not finish in {timeout:.0f}s")
            time.sleep(poll_s)
        if result.failed():
            exc = result.result
            raise exc if isinstance(exc, CodegenError) else TaskFailedError(str(exc))
        return result.result

    def generate_project(self, payload: GenerateProjectPayload) -> str:
        return self.enqueue("codegen.generate_project", payload)
