"""All errors raised by codegen-tasks. Each carries the data a caller needs to act."""

from __future__ import annotations

from typing import Any


class CodegenError(Exception):
    """Base class. `retryable` tells the task layer whether a retry may help."""

    retryable: bool = False
    code: str = "codegen_error"

    def __init__(self, message: str, **data: Any) -> None:
        super().__init__(message)
        self.message = message
        self.data = data

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, **self.data}


class GraphError(CodegenError):
    """The project graph is invalid. `problems` lists every located problem."""

    code = "invalid_graph"

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid graph: " + "; ".join(problems), problems=problems)
        self.problems = problems


class SettingsError(CodegenError):
    """A setting from the environment or `.env` is invalid."""

    code = "invalid_settings"

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"invalid settings: {'; '.join(problems)}", problems=problems)
        self.problems = problems


class PayloadError(CodegenError):
    code = "invalid_payload"


class NotFoundError(CodegenError):
    code = "not_found"


class LLMError(CodegenError):
    """The model provider failed. `status` is the HTTP status when there was one."""

    code = "llm_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        retryable: bool = False,
        model: str | None = None,
        billed: bool = False,
    ) -> None:
        super().__init__(message, status=status, retry_after=retry_after, model=model)
        self.status = status
        self.billed = billed  # the provider produced (and charges for) part of an answer
        self.retry_after = retry_after
        self.retryable = retryable
        self.model = model


class LLMConfigError(LLMError):
    code = "llm_not_configured"

    @classmethod
    def missing_key(cls, model: str | None = None) -> LLMConfigError:
        """No key: say how to set one, and that the built-in generator needs none."""
        wanted = f"model {model!r} needs" if model else "this needs"
        return cls(
            f"OPENROUTER_API_KEY is not set ({wanted} an OpenRouter key): export it or add it"
            " to .env (see .env.example); without a key, leave out --model to generate with"
            " the built-in offline generator",
            model=model,
        )


class BudgetExceededError(CodegenError):
    """A call's maximum cost does not fit in what a budget has left (the provider's 402,
    decided locally, before anything is sent). `needed_usd` is the call's reservation."""

    code = "budget_exceeded"
    status = 402

    def __init__(
        self,
        scope: str,
        budget_usd: float,
        spent_usd: float,
        reserved_usd: float = 0.0,
        needed_usd: float = 0.0,
        *,
        reason: str | None = None,
    ) -> None:
        detail = reason or (
            f"spent ${spent_usd:.4f}, reserved ${reserved_usd:.4f} by calls in flight, "
            f"this call needs up to ${needed_usd:.4f}"
        )
        super().__init__(
            f"{scope} budget of ${budget_usd:.4f}: {detail}; LLM call refused",
            scope=scope,
            budget_usd=budget_usd,
            spent_usd=spent_usd,
            reserved_usd=reserved_usd,
            needed_usd=needed_usd,
            status=self.status,
        )


class ResponseFormatError(CodegenError):
    """The model's answer could not be turned into a valid file bundle."""

    code = "bad_model_output"

    def __init__(self, message: str, *, truncated: bool = False) -> None:
        super().__init__(message, truncated=truncated)
        self.truncated = truncated


class UnsafePathError(ResponseFormatError):
    code = "unsafe_path"

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"unsafe file path {path!r}: {reason}")
        self.data["path"] = path
        self.path = path


class SkeletonTouchedError(ResponseFormatError):
    """A hybrid-mode answer returned files of the generated skeleton."""

    code = "skeleton_touched"

    def __init__(self, paths: list[str], allowed: list[str]) -> None:
        super().__init__(
            f"the answer returns skeleton files, which are read-only: {', '.join(paths)}; "
            f"write only {' and new files under '.join(allowed)}"
        )
        self.data["paths"] = paths
        self.paths = paths


class StorageError(CodegenError):
    code = "storage_error"

    def __init__(self, message: str, *, key: str | None = None, retryable: bool = True) -> None:
        super().__init__(message, key=key)
        self.retryable = retryable


class ExportError(CodegenError):
    """An export cannot be done safely (a symlink, a path outside DIR, a bad record, git)."""

    code = "export_error"

    def __init__(self, message: str, *, path: str | None = None) -> None:
        super().__init__(message, path=path)
        self.path = path


class CacheError(CodegenError):
    """The cache is unreachable. Callers degrade to uncached work."""

    code = "cache_unavailable"
    retryable = True


class BrokerError(CodegenError):
    """The broker refused or could not take a message."""

    code = "broker_unavailable"
    retryable = True


class TimeLimitError(CodegenError):
    """A task ran past its soft time limit (`codegen_tasks.pipeline.time_limits`)."""

    code = "time_limit"

    def __init__(self, task: str, limit_s: float) -> None:
        super().__init__(
            f"{task} ran past its time limit of {limit_s:.0f}s", task=task, limit_s=limit_s
        )


class ResultBackendError(CodegenError):
    """The result backend cannot be read; the history store still can."""

    code = "result_backend_unavailable"
    retryable = True


class HistoryError(CodegenError):
    code = "history_error"

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


class GraphSourceError(CodegenError):
    """The Graph Service failed; retryable when a later task retry may help."""

    code = "graph_source_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        project_id: str | None = None,
        retryable: bool,
    ) -> None:
        super().__init__(message, status=status, project_id=project_id)
        self.status = status
        self.project_id = project_id
        self.retryable = retryable


class ToolchainError(CodegenError):
    """node/npm or the TypeScript toolchain is missing: validation levels are skipped."""

    code = "toolchain_unavailable"


class SandboxError(CodegenError):
    """No sandbox can be made (or started) for running generated code."""

    code = "sandbox_unavailable"


class CheckDatabaseError(CodegenError):
    """The throwaway database of a runtime check could not be created, migrated or dropped."""

    code = "check_database_error"


class NodeError(CodegenError):
    """A failure while working on one graph node."""

    code = "node_failed"

    def __init__(self, message: str, *, node_id: str, cause: CodegenError | None = None) -> None:
        super().__init__(message, node_id=node_id)
        self.node_id = node_id
        self.cause = cause


class TaskFailedError(CodegenError):
    """A task's failure as its caller sees it: the original error's code, message and data.

    It is built from one JSON-able dict so it survives Celery's result backend intact.
    """

    def __init__(self, detail: dict[str, Any] | str) -> None:
        if isinstance(detail, str):
            detail = {"code": CodegenError.code, "message": detail}
        data = {k: v for k, v in detail.items() if k not in ("message", "code")}
        super().__init__(str(detail.get("message", "")), **data)
        self.code = str(detail.get("code", CodegenError.code))
        self.detail = detail
        self.args = (detail,)
