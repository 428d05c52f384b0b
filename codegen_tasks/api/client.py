"""Enqueue codegen tasks by name and wait for them, without importing the task code.

With CODEGEN_BROKER_URL set the tasks go to the workers through the broker; without it
they run in this process (embedded mode), so the same calls work on a bare machine.
Celery (with kombu and redis) is imported when a task goes to the broker or a result is
followed there: the embedded mode never loads it.

    client = CodegenClient()
    task_id = client.validate_project({"projectId": "p1"})
    client.status(task_id)            # {"id", "state", "ready", "progress"}
    client.wait(task_id, timeout=60)  # the JSON result, or the task's error raised
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from codegen_tasks.api import registry
from codegen_tasks.api.payload_rules import parse_payload
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.api.registry import TASK_ROUTES, public_task
from codegen_tasks.api.summary import summary
from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import CodegenError, ResultBackendError, TaskFailedError
from codegen_tasks.settings import Settings, get_settings

if TYPE_CHECKING:
    from celery import Celery
    from celery.result import AsyncResult

    from codegen_tasks.pipeline.context import Deps

Payload = Message | dict[str, Any]


class TaskTimeoutError(CodegenError):
    code = "task_timeout"


class CodegenClient:
    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.embedded = not self.settings.broker_url
        self._app: Celery | None = None
        self._deps: Deps | None = None  # embedded mode's ports, built on first use
        self._eager: dict[str, Any] = {}
        self._results: dict[str, AsyncResult] = {}

    def __enter__(self) -> CodegenClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the results this client followed, then the app's connections: a result
        left to the garbage collector at interpreter exit fails in its `__del__`."""
        if not self._results and self._app is None:
            return  # nothing was sent nor followed: Celery was never loaded
        from celery.result import AsyncResult

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
        """The Celery app sending to the workers; in embedded mode one without a broker
        (tasks run here, a task id it does not know is PENDING)."""
        if self._app is None:
            self._app = self._embedded_app() if self.embedded else self._remote_app()
        return self._app

    def _embedded_app(self) -> Celery:
        from celery import Celery

        return Celery("codegen-embedded", broker="memory://", backend="cache+memory://")

    def _remote_app(self) -> Celery:
        from celery import Celery

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
        return self._parsed(task_name, payload).wire()

    def _parsed(self, task_name: str, payload: Payload) -> Message:
        model = public_task(task_name).payload_model
        if isinstance(payload, Message) and not isinstance(payload, model):
            raise CodegenError(f"{task_name} takes {model.__name__}, not {type(payload).__name__}")
        return payload if isinstance(payload, Message) else parse_payload(model, payload)

    def enqueue(self, task_name: str, payload: Payload, **options: Any) -> str:
        """Validate the payload against the task's schema and send it; returns the task id.
        In embedded mode the task runs here, to its end, through the local runner."""
        parsed = self._parsed(task_name, payload)
        if self.embedded:
            return self._run_here(task_name, parsed)
        data = parsed.wire()
        result = self.app.send_task(
            task_name, args=[data], argsrepr=summary(data), kwargsrepr="{}", **options
        )
        self._results[str(result.id)] = result  # released by close()
        return str(result.id)

    def _run_here(self, task_name: str, payload: Message) -> str:
        from codegen_tasks.pipeline.local import LocalRunner
        from codegen_tasks.wiring import build_deps

        spec = public_task(task_name)
        if self._deps is None:
            self._deps = build_deps(self.settings)
        deps = self._deps
        run_id = payload.run_id if isinstance(payload, GenerateProjectPayload) else None
        task_id = run_id or deps.ids()
        result = LocalRunner(deps).run(spec, payload, task_id)
        self._eager[task_id] = spec.wire(result)
        return task_id

    def result(self, task_id: str) -> AsyncResult:
        """One result handle per task id, released by `close()`."""
        if task_id not in self._results:
            from celery.result import AsyncResult

            self._results[task_id] = AsyncResult(task_id, app=self.app)
        return self._results[task_id]

    def failed(self, task_id: str) -> bool:
        """Whether the task failed; ResultBackendError when the result backend is down."""
        if task_id in self._eager:
            return False
        from kombu.exceptions import OperationalError as KombuOperationalError
        from redis.exceptions import RedisError

        try:
            return bool(self.result(task_id).failed())
        except (RedisError, KombuOperationalError, OSError) as exc:
            raise ResultBackendError(f"result backend unavailable: {exc}") from exc

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

    # one method per public task, named after it
    def generate_project(self, payload: Payload) -> str:
        return self.enqueue(registry.GENERATE_PROJECT.name, payload)

    def generate_service(self, payload: Payload) -> str:
        return self.enqueue(registry.GENERATE_SERVICE.name, payload)

    def validate_project(self, payload: Payload) -> str:
        return self.enqueue(registry.VALIDATE_PROJECT.name, payload)

    def validate_service(self, payload: Payload) -> str:
        return self.enqueue(registry.VALIDATE_SERVICE.name, payload)

    def discover_contracts(self, payload: Payload) -> str:
        return self.enqueue(registry.DISCOVER_CONTRACTS.name, payload)

    def validate_contracts(self, payload: Payload) -> str:
        return self.enqueue(registry.VALIDATE_CONTRACTS.name, payload)

    def regenerate_projects(self, payload: Payload) -> str:
        return self.enqueue(registry.REGENERATE_PROJECTS.name, payload)

    def merge_bundle(self, payload: Payload) -> str:
        return self.enqueue(registry.MERGE_BUNDLE.name, payload)
