"""The benchmark scripts run end to end on a tiny project (no timing is asserted)."""

from __future__ import annotations

import pytest

from bench import embedded, harness, hybrid, makespan, runtime, scale, throughput

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def own_redis_db(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The benchmarks' Redis database is the test's own (TEST_REDIS_DB), not the default."""
    monkeypatch.setattr(harness, "REDIS_URL", redis_url)
    monkeypatch.setattr(throughput, "REDIS_URL", redis_url)


def test_makespan_bench_runs_on_a_tiny_project() -> None:
    section = makespan.main(["--nodes", "3", "--latency", "0", "--db", "sqlite", "--no-write"])
    values = {row.metric: row.value for row in section.rows}
    assert values["cold run"].startswith("succeeded")
    assert values["warm LLM calls"] == "0"
    assert values["cost: one changed leaf (no dependants)"].startswith("1 LLM calls")


def test_throughput_bench_runs() -> None:
    section = throughput.main(["--lookups", "20", "--tasks", "10", "--chains", "3", "--no-write"])
    assert any(row.metric.startswith("cache lookup hit") for row in section.rows)


def test_embedded_bench_runs() -> None:
    section = embedded.main(["--nodes", "2", "--latency", "0.2", "--repeat", "1", "--no-write"])
    values = {row.metric: row.value for row in section.rows}
    assert any(metric.startswith("offline demo") for metric in values)


def test_scale_bench_runs() -> None:
    argv = ["--nodes", "4", "--latency", "0.1", "--db", "sqlite", "--no-write"]
    section = scale.main(argv)
    values = {row.metric: row.value for row in section.rows}
    assert values["run"].startswith("succeeded")
    assert float(values["database rows written per node"].split()[0]) > 0
    assert any(metric.startswith("peak RSS of worker `llm`") for metric in values)


def test_runtime_bench_runs_on_a_tiny_project() -> None:
    section = runtime.main(["--nodes", "2", "--no-write"])
    values = {row.metric: row.value for row in section.rows}
    assert values["project of 2, 2 at a time"].endswith("(2/2 pass)"), values


def test_hybrid_bench_runs() -> None:
    section = hybrid.main(["--no-write"])
    values = {row.metric: row.value for row in section.rows}
    assert values["full: whole shop (6 services)"].endswith("6/6 pass")
    assert values["hybrid: whole shop (6 services)"].endswith("6/6 pass")
    assert values["hybrid, sloppy model: first answers passing every level"] == "6/6"
