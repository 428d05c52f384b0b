"""Poison messages: a broker message no worker can read (not JSON, not a message envelope,
a body that does not decode) or whose payload does not validate is rejected to the
dead-letter list CODEGEN_DEAD_LETTER_KEY with its reason, logged once, and the worker goes
on with the next message. The broker transport is kombu's Redis one with that screening."""

# kombu's channel internals are untyped: calling them is the point of this module.
# mypy: disable-error-code="no-untyped-call"

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from queue import Empty
from typing import Any, TypeVar

from celery import Task
from kombu.exceptions import DecodeError
from kombu.transport import redis as kombu_redis
from kombu.utils.encoding import bytes_to_str
from pydantic import BaseModel

from codegen_tasks.api.payload_rules import parse_payload
from codegen_tasks.errors import PayloadError, TaskFailedError
from codegen_tasks.settings import get_settings

M = TypeVar("M", bound=BaseModel)
log = logging.getLogger("codegen_tasks.workers")

MAX_BODY_CHARS = 64 * 1024  # of a rejected body, kept for the operator


def dead_letter_entry(queue: str, reason: str, body: bytes | str, now: datetime) -> str:
    """The dead-letter list's entry for one rejected message (JSON, body truncated)."""
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    entry = {"queue": queue, "reason": reason, "body": text[:MAX_BODY_CHARS]}
    return json.dumps(entry | {"rejectedAt": now.isoformat()})


def envelope_problem(raw: Any) -> str | None:
    """Why `raw` (a decoded broker item) is no message a worker can read, or None."""
    if not isinstance(raw, Mapping):
        return f"not a message envelope (a JSON {type(raw).__name__})"
    properties = raw.get("properties")
    if not isinstance(properties, Mapping) or "delivery_tag" not in properties:
        return "not a message envelope (no properties.delivery_tag)"
    return None


class Channel(kombu_redis.Channel):
    """kombu's Redis channel, screening each message it pops before delivering it."""

    def dead_letter(self, queue: str, reason: str, body: bytes | str) -> None:
        entry = dead_letter_entry(queue, reason, body, datetime.now(UTC))
        key = get_settings().dead_letter_key
        with self.conn_or_acquire() as client:
            client.lpush(key, entry)
        log.error("poison message on %s rejected to %s: %s", queue, key, reason)

    def _screened(self, item: bytes, queue: str) -> dict[str, Any] | None:
        """The decoded message, or None once a poison message is dead-lettered."""
        try:
            raw = json.loads(bytes_to_str(item))
        except (ValueError, UnicodeDecodeError) as exc:
            self.dead_letter(queue, f"not JSON: {exc}", item)
            return None
        problem = envelope_problem(raw)
        if problem is None:
            try:
                self.Message(raw, channel=self).decode()
            except (DecodeError, ValueError, TypeError, KeyError) as exc:
                problem = f"body does not decode: {exc}"
        if problem is not None:
            self.dead_letter(queue, problem, item)
            return None
        return dict(raw)

    def _brpop_read(self, **options: Any) -> bool:
        """kombu's BRPOP reply handling, with the popped item screened first."""
        try:
            try:
                reply = self.client.parse_response(self.client.connection, "BRPOP", **options)
            except self.connection_errors:
                self.client.connection.disconnect()
                raise
            if not reply:
                raise Empty()
            dest, item = reply
            queue = bytes_to_str(dest).rsplit(self.sep, 1)[0]
            self._queue_cycle.rotate(queue)
            message = self._screened(item, queue)
            if message is None:
                raise Empty()
            self.connection._deliver(message, queue)
            return True
        finally:
            self._in_poll = None  # type: ignore[assignment]  # as kombu does
            flush = getattr(self, "_flush_brpop_reauth", None)
            if flush is not None:
                flush()

    def _get(self, queue: str, timeout: float | None = None) -> dict[str, Any]:
        with self.conn_or_acquire() as client:
            for priority in self.priority_steps:
                item = client.rpop(self._q_for_pri(queue, priority))
                if item:
                    self._maybe_update_queues_expire(client, queue)
                    message = self._screened(item, queue)
                    if message is not None:
                        return message
            self._maybe_update_queues_expire(client, queue)
            raise Empty()


class Transport(kombu_redis.Transport):
    Channel = Channel


def payload_of(task: Task, model: type[M], payload: Any) -> M:
    """The task's payload as `model`; a bad one is dead-lettered with its field-level
    problems and fails the task with them (PayloadError's data), before any write."""
    try:
        return parse_payload(model, payload)
    except PayloadError as exc:
        _dead_letter_payload(task, exc, payload)
        raise TaskFailedError(exc.to_dict()) from exc


def _dead_letter_payload(task: Task, exc: PayloadError, payload: Any) -> None:
    if task.request.is_eager:
        return
    queue = str((task.request.delivery_info or {}).get("routing_key") or task.name)
    body = json.dumps({"task": task.name, "id": task.request.id, "payload": payload}, default=str)
    with task.app.connection_for_write() as conn:
        try:
            channel = conn.default_channel
            if isinstance(channel, Channel):
                channel.dead_letter(queue, exc.message, body)
        except (*conn.connection_errors, *conn.channel_errors) as lost:  # the refusal stands
            log.warning("invalid payload on %s not dead-lettered: %s", queue, lost)
