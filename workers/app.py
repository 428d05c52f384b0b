"""The Celery app of the workers. Without CODEGEN_BROKER_URL it runs tasks eagerly, so the
task module imports on a bare machine; embedded mode itself runs the same handlers through
the local runner (`codegen_tasks.pipeline.local`), not through Celery."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import Celery

from codegen_tasks.api.registry import CONTROL_QUEUE, LIVENESS_SWEEP, TASK_ROUTES
from codegen_tasks.pipeline.time_limits import task_limits, visibility_timeout_s
from codegen_tasks.settings import Settings, get_settings
from workers import scratch as _scratch  # noqa: F401  (connects the start-up sweep)

# kombu's Redis transport, rejecting poison messages to a dead-letter list (workers.poison)
POISON_SCREENING_TRANSPORT = "workers.poison:Transport"
RESULT_BACKEND_RETRIES = 60  # minutes of Celery's backoff (full jitter, at most 10 s apart)


def transport_options(settings: Settings) -> dict[str, Any]:
    """Redis redelivers a task left unacked (its worker died) after the visibility timeout,
    derived from the task time limits unless CODEGEN_VISIBILITY_TIMEOUT_S is set
    (`codegen_tasks.pipeline.time_limits`). A short timeout (tests) also needs frequent sweeps
    for expired deliveries, hence the interval."""
    timeout = visibility_timeout_s(settings)
    options: dict[str, Any] = {"visibility_timeout": timeout}
    if timeout < 600:
        sweep_s = max(1, timeout // 10)
        options |= {"unacked_restore_interval": sweep_s, "unacked_restore_throttle": 1}
    return options


def time_limit_annotations(settings: Settings) -> dict[str, dict[str, float]]:
    """Every task's soft and hard time limits (`codegen_tasks.pipeline.time_limits`)."""
    return {
        name: {"soft_time_limit": limit.soft_s, "time_limit": limit.hard_s}
        for name, limit in task_limits(settings).items()
    }


def beat_schedule(settings: Settings) -> dict[str, dict[str, Any]]:
    """Celery beat sends the liveness sweep every CODEGEN_SWEEP_INTERVAL_S; a sweep older
    than one interval is dropped (the next one does the same work)."""
    interval = settings.sweep_interval_s
    return {
        "liveness-sweep": {
            "task": LIVENESS_SWEEP.name,
            "schedule": interval,
            "options": {"queue": CONTROL_QUEUE, "expires": interval},
        }
    }


def app_config(settings: Settings) -> dict[str, Any]:
    """The Celery configuration from the settings: a broker means real workers; without one
    every task runs eagerly in the calling process (the embedded client does not use it: it
    runs the handlers through the local runner)."""
    config: dict[str, Any] = {
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_track_started": True,
        "task_routes": TASK_ROUTES,
        "task_default_queue": CONTROL_QUEUE,
        "result_extended": True,
        "result_expires": 7 * 24 * 3600,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": transport_options(settings),
        "result_backend_transport_options": {"visibility_timeout": visibility_timeout_s(settings)},
        # a result backend that drops: its writes (task states, the chord counter) are
        # retried with backoff (Celery's) instead of failing the task outside its body
        "result_backend_always_retry": True,
        "result_backend_max_retries": RESULT_BACKEND_RETRIES,
        "task_annotations": time_limit_annotations(settings),
        "beat_schedule": beat_schedule(settings),
        "worker_send_task_events": True,
        "task_send_sent_event": True,
    }
    if not settings.broker_url:
        return config | {
            "broker_url": "memory://",
            "result_backend": "cache+memory://",
            "task_always_eager": True,
            "task_eager_propagates": True,
        }
    config |= {"broker_url": settings.broker_url}
    config |= {"result_backend": settings.effective_result_backend}
    if settings.broker_url.split("://", 1)[0] in ("redis", "rediss"):
        config |= {"broker_transport": POISON_SCREENING_TRANSPORT}
    return config


class CodegenApp(Celery):  # type: ignore[misc]  # celery has no type hints
    """The Celery app, configured from `settings()` when first used (a worker's start, the
    first task sent or run): importing it reads no setting, and bad settings fail each use
    with SettingsError."""

    def __init__(self, settings: Callable[[], Settings] = get_settings) -> None:
        self._settings = settings
        super().__init__("codegen", include=["workers.tasks"])

    def on_configure(self) -> None:
        """Called by Celery as it loads the configuration; an error leaves it unloaded."""
        self.add_defaults(app_config(self._settings()))


app = CodegenApp()
