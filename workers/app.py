"""The Celery app. With CODEGEN_BROKER_URL it talks to real workers; without, it runs
every task eagerly in the calling process (embedded mode), with the same task code."""

from __future__ import annotations

from celery import Celery

from codegen_tasks.settings import Settings, get_settings
from workers.routing import CONTROL_QUEUE, TASK_ROUTES

# Longer than the longest task (LLM timeout x repair attempts x retries with backoff), so
# Redis does not redeliver a task that a live worker is still working on.
VISIBILITY_TIMEOUT_S = 4 * 3600


def make_app(settings: Settings) -> Celery:
    app = Celery("codegen", include=["workers.tasks"])
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_track_started=True,
        task_routes=TASK_ROUTES,
        task_default_queue=CONTROL_QUEUE,
        result_extended=True,
        result_expires=7 * 24 * 3600,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        result_backend_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT_S},
        worker_send_task_events=True,
        task_send_sent_event=True,
    )
    if settings.broker_url:
        app.conf.broker_url = settings.broker_url
        app.conf.result_backend = settings.effective_result_backend
    else:
        app.conf.broker_url = "memory://"
        app.conf.result_backend = "cache+memory://"
        app.conf.task_always_eager = True
        app.conf.task_eager_propagates = True
    return app


app = make_app(get_settings())
