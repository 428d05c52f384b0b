"""The outbox contract over a real Redis (the workers' outbox)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from codegen_tasks.adapters.outbox.redis_outbox import RedisOutbox
from codegen_tasks.errors import CacheError
from tests.contracts_outbox import OutboxContract, OutboxFactory
from tests.tcp_proxy import free_port

pytestmark = pytest.mark.integration


class TestRedisOutbox(OutboxContract):
    @pytest.fixture
    def outbox_factory(self, redis_url: str) -> Iterator[OutboxFactory]:
        opened: list[RedisOutbox] = []

        def make() -> RedisOutbox:
            opened.append(RedisOutbox(redis_url))
            return opened[-1]

        yield make
        for outbox in opened:
            outbox.close()


def test_an_unreachable_redis_outbox_raises_instead_of_pretending() -> None:
    outbox = RedisOutbox(f"redis://127.0.0.1:{free_port()}/0", timeout_s=0.2)
    with pytest.raises(CacheError) as caught:
        outbox.put("call-1", "x")
    assert caught.value.data["action"] == "outbox_put"
