"""The benchmark scripts run end to end on a tiny project (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench import makespan, throughput

pytestmark = pytest.mark.integration


def test_makespan_bench_runs_on_a_tiny_project(redis_server_url: str) -> None:
    section = makespan.main(["--nodes", "3", "--latency", "0", "--db", "sqlite", "--no-write"])
    values = {row.metric: row.value for row in section.rows}
    assert values["cold run"].startswith("succeeded")
    assert values["warm LLM calls"] == "0"
    assert values["cost: one changed leaf (no dependants)"].startswith("1 LLM calls")


def test_throughput_bench_runs(redis_server_url: str) -> None:
    section = throughput.main(["--lookups", "20", "--tasks", "10", "--chains", "3", "--no-write"])
    assert any(row.metric.startswith("cache lookup hit") for row in section.rows)
