"""The one settings class: environment variables or a `.env` file."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.errors import SettingsError

STATE_DIR = ".codegen"


def usable_cores() -> int:
    """The cores this process may run on (its CPU affinity where the OS tells it)."""
    affinity = getattr(os, "sched_getaffinity", None)
    return max(1, len(affinity(0)) if affinity else os.cpu_count() or 1)


class Settings(BaseSettings):
    """Everything configurable, with embedded defaults that run offline."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    openrouter_api_key: SecretStr | None = Field(default=None, alias="OPENROUTER_API_KEY")
    openrouter_default_model: str = Field(
        default="anthropic/claude-3.5-sonnet", alias="OPENROUTER_DEFAULT_MODEL"
    )
    openrouter_base_url: str = Field(
        default="https://openrouter.ai/api/v1", alias="OPENROUTER_BASE_URL"
    )
    openrouter_timeout_s: float = Field(default=300.0, alias="OPENROUTER_TIMEOUT_S")
    openrouter_connect_timeout_s: float = Field(default=10.0, alias="OPENROUTER_CONNECT_TIMEOUT_S")
    openrouter_app_url: str = Field(
        default="https://github.com/codegen-tasks/codegen-tasks", alias="OPENROUTER_APP_URL"
    )
    openrouter_app_title: str = Field(default="codegen-tasks", alias="OPENROUTER_APP_TITLE")

    # Embedded state (history, bundles, cache) lives in CODEGEN_HOME, by default `.codegen` in
    # the current directory; the three settings below override one each.
    codegen_home: Path | None = Field(default=None, alias="CODEGEN_HOME")
    database_url: str = Field(default="sqlite:///.codegen/codegen.db", alias="CODEGEN_DATABASE_URL")
    broker_url: str | None = Field(default=None, alias="CODEGEN_BROKER_URL")
    result_backend: str | None = Field(default=None, alias="CODEGEN_RESULT_BACKEND")
    redis_url: str | None = Field(default=None, alias="CODEGEN_REDIS_URL")
    storage_url: str = Field(default="file://.codegen/bundles", alias="CODEGEN_STORAGE_URL")
    s3_endpoint_url: str | None = Field(default=None, alias="CODEGEN_S3_ENDPOINT_URL")
    budget_usd: float | None = Field(default=None, alias="CODEGEN_BUDGET_USD")
    user_budget_usd: float | None = Field(default=None, alias="CODEGEN_USER_BUDGET_USD")
    project_budget_usd: float | None = Field(default=None, alias="CODEGEN_PROJECT_BUDGET_USD")
    # A call's reservation lapses this long after it was made (a killed worker's with it):
    # longer than the longest model call, streaming included.
    budget_reservation_ttl_s: float = Field(
        default=900.0, gt=0, alias="CODEGEN_BUDGET_RESERVATION_TTL_S"
    )
    # Send OpenRouter `provider.max_price` (the prices the reservation assumed) on budgeted calls.
    price_cap: bool = Field(default=True, alias="CODEGEN_PRICE_CAP")
    graph_service_url: str | None = Field(default=None, alias="CODEGEN_GRAPH_SERVICE_URL")
    graph_service_token: SecretStr | None = Field(default=None, alias="CODEGEN_GRAPH_SERVICE_TOKEN")
    graph_service_timeout_s: float = Field(default=10.0, alias="CODEGEN_GRAPH_SERVICE_TIMEOUT_S")
    graph_service_retries: int = Field(default=2, alias="CODEGEN_GRAPH_SERVICE_RETRIES")

    cache_dir: Path = Field(default=Path(".codegen/cache"), alias="CODEGEN_CACHE_DIR")
    cache_ttl_s: int = Field(default=30 * 24 * 3600, alias="CODEGEN_CACHE_TTL_S")
    toolchain_dir: Path = Field(
        default=Path.home() / ".cache" / "codegen-tasks" / "toolchain",
        alias="CODEGEN_TOOLCHAIN_DIR",
    )
    # Scratch copies the compiler reads and writes (thrown away after each run).
    scratch_dir: Path | None = Field(default=None, alias="CODEGEN_SCRATCH_DIR")
    # npm packages (name -> exact version) generated services may use beyond the platform's.
    platform_extra_packages: dict[str, str] = Field(
        default_factory=dict, alias="CODEGEN_PLATFORM_EXTRA_PACKAGES"
    )
    temperature: float = Field(default=0.2, alias="CODEGEN_TEMPERATURE")
    max_tokens: int = Field(default=16000, alias="CODEGEN_MAX_TOKENS")
    repair_attempts: int = Field(default=2, alias="CODEGEN_REPAIR_ATTEMPTS")
    # full | multi-step | hybrid (the built-in skeleton, the model only the domain files)
    generation_mode: GenerationMode = Field(
        default=GenerationMode.FULL, alias="CODEGEN_GENERATION_MODE"
    )
    feedback_attempts: int = Field(default=1, alias="CODEGEN_FEEDBACK_ATTEMPTS")
    # Retries wait with equal jitter (pipeline/backoff.py): the defaults outwait 63 s for sure.
    max_retries: int = Field(default=6, ge=0, alias="CODEGEN_MAX_RETRIES")
    retry_backoff_s: float = Field(default=2.0, gt=0, alias="CODEGEN_RETRY_BACKOFF_S")
    retry_backoff_max_s: float = Field(default=120, gt=0, alias="CODEGEN_RETRY_BACKOFF_MAX_S")
    # A provider's Retry-After is honoured up to this long (a longer one waits this long).
    retry_after_max_s: float = Field(default=120, ge=0, alias="CODEGEN_RETRY_AFTER_MAX_S")
    # The Redis list poison messages are rejected to, each with its queue and reason.
    dead_letter_key: str = Field(default="codegen.dead_letter", alias="CODEGEN_DEAD_LETTER_KEY")
    # Redis redelivers a task unacked this long; 0: derived from the task time limits
    # (pipeline/time_limits.py, see README).
    visibility_timeout_s: int = Field(default=0, ge=0, alias="CODEGEN_VISIBILITY_TIMEOUT_S")
    # The liveness sweep (Celery beat): how often, and how many times a stalled node's
    # remaining steps are dispatched again before it is failed.
    sweep_interval_s: float = Field(default=60.0, gt=0, alias="CODEGEN_SWEEP_INTERVAL_S")
    sweep_redispatches: int = Field(default=2, ge=0, alias="CODEGEN_SWEEP_REDISPATCHES")
    # An open run without progress this long is abandoned: closed as failed by the next run
    # of its project or by `codegen sweep` (longer than a redelivery, so none is resumable).
    run_stale_after_s: float = Field(default=4 * 3600, ge=0, alias="CODEGEN_RUN_STALE_AFTER_S")
    max_graph_nodes: int = Field(default=500, alias="CODEGEN_MAX_GRAPH_NODES")
    max_file_bytes: int = Field(default=512 * 1024, alias="CODEGEN_MAX_FILE_BYTES")
    max_files: int = Field(default=200, alias="CODEGEN_MAX_FILES")
    validate_typescript: bool = Field(default=True, alias="CODEGEN_VALIDATE_TYPESCRIPT")
    # Code the bundle's own tsconfig accepts but strict mode rejects: a warning, or an error.
    strict_typescript: bool = Field(default=False, alias="CODEGEN_STRICT_TYPESCRIPT")
    # A breaking contract change against the last successful contracts fails its service.
    fail_on_breaking: bool = Field(default=False, alias="CODEGEN_FAIL_ON_BREAKING")
    # The runtime check: boot each built service in a sandbox, health and handlers over TCP.
    runtime_check: bool = Field(default=True, alias="CODEGEN_RUNTIME_CHECK")
    check_database_url: str | None = Field(default=None, alias="CODEGEN_CHECK_DATABASE_URL")
    runtime_allow_unsandboxed: bool = Field(
        default=False, alias="CODEGEN_RUNTIME_ALLOW_UNSANDBOXED"
    )
    runtime_timeout_s: float = Field(default=90.0, gt=0, alias="CODEGEN_RUNTIME_TIMEOUT_S")
    runtime_boot_timeout_s: float = Field(
        default=20.0, gt=0, alias="CODEGEN_RUNTIME_BOOT_TIMEOUT_S"
    )
    runtime_call_timeout_s: float = Field(default=5.0, gt=0, alias="CODEGEN_RUNTIME_CALL_TIMEOUT_S")
    runtime_cpu_s: int = Field(default=60, ge=1, alias="CODEGEN_RUNTIME_CPU_S")
    runtime_memory_mb: int = Field(default=1024, ge=256, alias="CODEGEN_RUNTIME_MEMORY_MB")
    # Sandboxes running at once per process: the check is CPU bound, one per usable core.
    runtime_concurrency: int = Field(
        default_factory=usable_cores, ge=1, alias="CODEGEN_RUNTIME_CONCURRENCY"
    )
    # Model calls in flight per worker process, and per-model call rates ("60/m"; "*" = any).
    llm_concurrency: int = Field(default=16, ge=1, alias="CODEGEN_LLM_CONCURRENCY")
    model_rate_limits: dict[str, str] = Field(
        default_factory=dict, alias="CODEGEN_MODEL_RATE_LIMITS"
    )

    @model_validator(mode="after")
    def _state_in_home(self) -> Settings:
        """Defaults of the embedded state, made absolute under the state directory."""
        home = (self.codegen_home or Path(STATE_DIR)).expanduser().resolve()
        self.codegen_home = home
        given = self.model_fields_set
        if "database_url" not in given:
            self.database_url = f"sqlite:///{home / 'codegen.db'}"
        if "storage_url" not in given:
            self.storage_url = f"file://{(home / 'bundles').as_posix()}"
        if "cache_dir" not in given:
            self.cache_dir = home / "cache"
        return self

    @property
    def sqlite_file(self) -> Path | None:
        """The history database's file when it is SQLite on disk."""
        prefix = "sqlite:///"
        if not self.database_url.startswith(prefix) or self.database_url == "sqlite://":
            return None
        return Path(self.database_url.removeprefix(prefix).split("?")[0])

    @property
    def has_llm_key(self) -> bool:
        key = self.openrouter_api_key
        return key is not None and bool(key.get_secret_value())

    @property
    def effective_result_backend(self) -> str | None:
        """The result backend: explicit, else derived from a Redis broker."""
        if self.result_backend:
            return self.result_backend
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    @property
    def effective_scratch_dir(self) -> Path | None:
        """CODEGEN_SCRATCH_DIR, else the RAM-backed /dev/shm when writable, else None (the
        system's temporary directory): a compiler run writes and deletes hundreds of files."""
        if self.scratch_dir is not None:
            return self.scratch_dir
        shm = Path("/dev/shm")
        return shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings from the environment and `.env`. Raises SettingsError naming each bad one."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()]
        raise SettingsError(problems) from exc
