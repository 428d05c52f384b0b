"""The spend outbox: beside the cache (a Redis hash, else files in the cache folder)."""

from __future__ import annotations

from codegen_tasks.adapters.outbox.local import FileOutbox
from codegen_tasks.adapters.outbox.memory import MemoryOutbox
from codegen_tasks.ports.outbox import Outbox
from codegen_tasks.settings import Settings

__all__ = ["FileOutbox", "MemoryOutbox", "Outbox", "outbox_from_settings"]


def outbox_from_settings(settings: Settings) -> Outbox:
    """In the cache's Redis when CODEGEN_REDIS_URL is set (every worker replays what any
    worker kept), else in the cache folder (embedded mode: one host)."""
    if not settings.redis_url:
        return FileOutbox(settings.cache_dir / "outbox")
    from codegen_tasks.adapters.outbox.redis_outbox import RedisOutbox

    return RedisOutbox(settings.redis_url)
