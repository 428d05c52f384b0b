"""Enqueue codegen tasks by name and wait for them, without importing the task code.

With CODEGEN_BROKER_URL set the tasks go to the workers through the broker; without it
they run in this process (embedded mode), so the same calls work on a bare machine.

    client = CodegenClient()
    task_id = client.validate_project({"projectId": "p1"})
    client.status(task_id)            # {"id", "state", "ready", "progress"}
    client.wait(task_id, timeout=60)  # the JSON result, or the task's error raised
"""

from __future__ import annotations

import time
from typing import Any

from celery import Celery
from celery.result import AsyncResult

from codegen_tasks.api.payload_rules import parse_payload
from codegen_tasks.api.payloads import (
    ContractsPayload,
    GenerateProjectPayload,
    GenerateServicePayload,
    MergeBundlePayload,
    RegenerateProjectsPayload,
    ValidatePayload,
)
from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import CodegenError, TaskFailedError
from codegen_tasks.settings import Settings, get_settings

TASKS: dict[str, type[Message]] = {
    "codegen.generate_project": GenerateProjectPayload,
    "codegen.generate_service": GenerateServicePayload,
    "codegen.validate_project": ValidatePayload,
    "codegen.validate_service": ValidatePayload,
    "codegen.discover_contracts": ContractsPayload,
    "codegen.validate_contracts": ContractsPayload,
    "codegen.regenerate_projects": RegenerateProjectsPayload,
    "codegen.merge_bundle": MergeBundlePayload,
}
SUMMARY_FIELDS = (
    "projectId", "nodeId", "runId", "batchId", "aiModel", "forceRegenerate", "stream",
    "projectIds", "all",
)  # fmt: skip
MAX_LIST = 5
Payload = Message | dict[str, Any]


def summary(payload: dict[str, Any], service_name: str | None = None) -> str:
    """What Flower shows as the task's arguments: ids, the node's service name and model
    only, never graphs, metadata or secrets; long id lists are cut."""
    shown: dict[str, Any] = {}
    for key in SUMMARY_FIELDS:
        if key == "runId" and service_name:
            shown["service"] = service_name
        value = payload.get(key)
        if value in (None, False):
            continue
        if isinstance(value, list) and len(value) > MAX_LIST:
            value = [*value[:MAX_LIST], f"+{len(value) - MAX_LIST} more"]
        shown[key] = value
    if payload.get("graph") is not None:
        shown["graph"] = "<inline>"
    return repr(shown)


class TaskTimeoutError(CodegenError):
    code = "task_timeout"


class CodegenClient:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.embedded = not self.settings.broker_url
        self._app: Celery | None = None
        self._eager: dict[str, Any] = {}
        self._results: dict[str, AsyncResult] = {}

    def __enter__(self) -> CodegenClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the results this client followed, then the app's connections: a result
        left to the garbage collector at interpreter exit fails in its `__del__`."""
        pending: list[Any] = list(self._results.values())
        seen: set[int] = set()
        while pending:  # the results, their parents and the children they cached
            result = pending.pop()
            if result is None or id(result) in seen:
                continue
            seen.add(id(result))
            pending += list(getattr(result, "results", None) or [])  # a group's members
            if isinstance(result, AsyncResult) and result.backend is not None:
                cache = result._cache or {}  # what was already fetched, nothing more
                pending += [result.parent, *(cache.get("children") or [])]
                result.backend.remove_pending_result(result)
                result.backend = None  # nothing left for __del__ at interpreter exit
        self._results.clear()
        if self._app is not None:
            self._app.close()

    @property
    def app(self) -> Celery:
        if self._app is None:
            self._app = self._embedded_app() if self.embedded else self._remote_app()
        return self._app

    def _embedded_app(self) -> Celery:
        import workers.tasks  # noqa: F401  (registers the tasks)
        from workers.app import app as embedded_app

        return embedded_app

    def _remote_app(self) -> Celery:
        from workers.routing import TASK_ROUTES  # queue names only, no task code

        app = Celery(
            "codegen-client",
            broker=self.settings.broker_url,
            backend=self.settings.effective_result_backend,
        )
        app.conf.update(
            task_serializer="json",
            accept_content=["json"],
            result_accept_content=["json"],
            task_routes=TASK_ROUTES,
            broker_connection_retry_on_startup=True,
        )
        return app

    def validated(self, task_name: str, payload: Payload) -> dict[str, Any]:
        """The payload checked against the task's schema, as camelCase JSON."""
        model = TASKS.get(task_name)
        if model is None:
            raise CodegenError(f"unknown task {task_name!r}; known: {sorted(TASKS)}")
        if isinstance(payload, Message) and not isinstance(payload, model):
            raise CodegenError(f"{task_name} takes {model.__name__}, not {type(payload).__name__}")
        return (payload if isinstance(payload, Message) else parse_payload(model, payload)).wire()

    def enqueue(self, task_name: str, payload: Payload, **options: Any) -> str:
        """Validate the payload against the task's schema and send it; returns the task id."""
        data = self.validated(task_name, payload)
        if self.embedded and task_name == "codegen.generate_project":
            return self._embedded_run(GenerateProjectPayload.model_validate(data))
        if self.embedded:
            eager = self.app.tasks[task_name].apply(args=[data], **options)
            self._eager[str(eager.id)] = eager.get()
            return str(eager.id)
        result = self.app.send_task(
            task_name, args=[data], argsrepr=summary(data), kwargsrepr="{}", **options
        )
        self._results[str(result.id)] = result  # released by close()
        return str(result.id)

    def _embedded_run(self, payload: GenerateProjectPayload) -> str:
        """A project run in this process, its nodes concurrently (not an eager task loop)."""
        from codegen_tasks.pipeline.embedded import EmbeddedRun
        from codegen_tasks.wiring import build_deps

        run = EmbeddedRun(build_deps(self.settings), payload)
        self._eager[run.run_id] = run.run().wire()
        return run.run_id

    def result(self, task_id: str) -> AsyncResult:
        """One result handle per task id, released by `close()`."""
        if task_id not in self._results:
            self._results[task_id] = AsyncResult(task_id, app=self.app)
        return self._results[task_id]

    def status(self, task_id: str) -> dict[str, Any]:
        """The task's state (PENDING, STARTED, PROGRESS, RETRY, SUCCESS, FAILURE) and, while
        it streams, its progress (`runId`, `nodeId`, `streamedTokens`)."""
        if task_id in self._eager:
            return {"id": task_id, "state": "SUCCESS", "ready": True, "progress": None}
        result = self.result(task_id)
        state = str(result.state)
        progress = result.info if state == "PROGRESS" and isinstance(result.info, dict) else None
        return {"id": task_id, "state": state, "ready": result.ready(), "progress": progress}

    def wait(self, task_id: str, timeout: float = 600.0, poll_s: float = 0.5) -> Any:
        """The task's JSON result; TaskFailedError with the original error's data on failure,
        TaskTimeoutError when it is not done in `timeout` seconds."""
        if task_id in self._eager:
            return self._eager[task_id]
        result = self.result(task_id)
        deadline = time.monotonic() + timeout
        while not result.ready():
            if time.monotonic() > deadline:
                raise TaskTimeoutError(f"task {task_id} did not finish in {timeout:.0f}s")
            time.sleep(poll_s)
        if result.failed():
            exc = result.result
            raise exc if isinstance(exc, CodegenError) else TaskFailedError(str(exc))
        return result.result

    # one method per task, by its backend name
    def generate_project(self, payload: Payload) -> str:
        return self.enqueue("codegen.generate_project", payload)

    def generate_service(self, payload: Payload) -> str:
        return self.enqueue("codegen.generate_service", payload)

    def validate_project(self, payload: Payload) -> str:
        return self.enqueue("codegen.validate_project", payload)

    def validate_service(self, payload: Payload) -> str:
        return self.enqueue("codegen.validate_service", payload)

    def discover_contracts(self, payload: Payload) -> str:
        return self.enqueue("codegen.discover_contracts", payload)

    def validate_contracts(self, payload: Payload) -> str:
        return self.enqueue("codegen.validate_contracts", payload)

    def regenerate_projects(self, payload: Payload) -> str:
        return self.enqueue("codegen.regenerate_projects", payload)

    def merge_bundle(self, payload: Payload) -> str:
        return self.enqueue("codegen.merge_bundle", payload)
