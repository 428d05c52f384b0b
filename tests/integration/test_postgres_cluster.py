"""The private PostgreSQL cluster fixture: stopped and killed, it comes back with its data."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from codegen_tasks.adapters.history.migrate import make_engine
from codegen_tasks.adapters.history.session import translated_errors
from codegen_tasks.errors import HistoryError
from tests.fixtures.postgres_cluster import PostgresCluster

pytestmark = pytest.mark.integration


def count(url: str) -> int:
    engine = make_engine(url)
    try:
        with translated_errors(), engine.connect() as conn:
            return int(conn.execute(sa.text("select count(*) from marks")).scalar() or 0)
    finally:
        engine.dispose()


def test_a_stopped_or_killed_cluster_is_unavailable_then_back_with_its_data(
    postgres_cluster: PostgresCluster,
) -> None:
    url = postgres_cluster.create_database("fixture")
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table marks (id int)"))
        conn.execute(sa.text("insert into marks values (1)"))
    engine.dispose()
    for outage in (postgres_cluster.stop, postgres_cluster.kill):
        outage()
        assert not postgres_cluster.running
        with pytest.raises(HistoryError, match="database unavailable") as caught:
            count(url)
        assert caught.value.retryable
        postgres_cluster.start()
        assert count(url) == 1
