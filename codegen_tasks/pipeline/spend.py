"""A model call's record on its way to the history database, through the spend outbox.

A paid call's record (and the reservation it settles) is put in the outbox before the
database is asked, and taken out once the database has it. When the database is down the
entry stays, and the next database success (any call's record, any reservation) replays
it. Replays are idempotent: the record's id is the call's, one `llm_calls` row per call.
"""

from __future__ import annotations

import logging

from pydantic import BaseModel, ValidationError

from codegen_tasks.domain.records import LLMCallRecord
from codegen_tasks.errors import CacheError, HistoryError
from codegen_tasks.pipeline.context import Deps

log = logging.getLogger("codegen_tasks.pipeline")


class Settlement(BaseModel):
    """A call's record, and the reservation it replaces (None when unbudgeted)."""

    record: LLMCallRecord
    hold_id: str | None = None


def _apply(deps: Deps, settlement: Settlement) -> None:
    if settlement.hold_id is None:
        deps.history.record_llm_call(settlement.record)
    else:
        deps.history.settle(settlement.hold_id, settlement.record)


def _keep(deps: Deps, settlement: Settlement) -> bool:
    """Put the settlement in the outbox; False when the outbox is unreachable too."""
    try:
        deps.outbox.put(settlement.record.id, settlement.model_dump_json())
    except CacheError as exc:
        log.warning(
            "spend outbox unavailable (%s): recording call %s directly",
            exc.message,
            settlement.record.id,
        )
        return False
    return True


def _forget(deps: Deps, key: str) -> None:
    try:
        deps.outbox.remove(key)
    except CacheError as exc:  # replayed again later: harmless, the replay is idempotent
        log.warning("spend outbox entry %s not removed: %s", key, exc.message)


def record_call(deps: Deps, record: LLMCallRecord, hold_id: str | None = None) -> None:
    """Record a call. A paid one (anything but a cache hit) goes through the outbox: with
    the database down it waits there (logged) instead of failing its caller, whose answer
    is cached already. Raises HistoryError only when nothing durable holds the record."""
    settlement = Settlement(record=record, hold_id=hold_id)
    kept = record.outcome != "cached" and _keep(deps, settlement)
    try:
        _apply(deps, settlement)
    except HistoryError as exc:
        if not kept or not exc.retryable:
            raise
        log.warning("%s: call %s kept in the spend outbox", exc.message, record.id)
        return
    if kept:
        _forget(deps, record.id)
    replay(deps)


def replay(deps: Deps) -> int:
    """Write every settlement waiting in the outbox; stop at the first database blip. The
    number written."""
    try:
        pending = deps.outbox.pending()
    except CacheError:
        return 0
    written = 0
    for key, raw in pending.items():
        try:
            settlement = Settlement.model_validate_json(raw)
        except ValidationError:
            log.error("dropping an unreadable spend outbox entry %s: %s", key, raw[:200])
            _forget(deps, key)
            continue
        try:
            _apply(deps, settlement)
        except HistoryError as exc:
            if exc.retryable:
                break
            log.error("spend outbox entry %s not written: %s", key, exc.message)
            continue
        _forget(deps, key)
        written += 1
    if written:
        log.info("replayed %d paid call(s) from the spend outbox", written)
    return written
