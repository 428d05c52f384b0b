"""Timing a project run the way a backend sees it: enqueue, then watch history until closed."""

from __future__ import annotations

import statistics
import time
import uuid
from dataclasses import dataclass
from typing import Any

from bench.graphgen import synthetic_project
from bench.harness import MODEL, Bench
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
from codegen_tasks.errors import NotFoundError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.project import run_result

POLL_S = 0.01  # polls every 10 ms at first, every 50 ms after 2.5 s: cheap and precise
MAX_POLL_S = 0.05


@dataclass(frozen=True)
class RunMeasure:
    run_id: str
    seconds: float  # enqueue → the run is closed in history
    status: str
    services: int
    by_status: dict[str, int]
    llm_calls: int  # requests that reached the model (history's llm_calls, outcome ok)
    cached_calls: int
    spend_usd: float
    server_calls: int  # what the fake OpenRouter counted


def run_project(
    bench: Bench,
    deps: Deps,
    client: CodegenClient,
    graph: dict[str, Any],
    *,
    force: bool = False,
    timeout_s: float = 120.0,
) -> RunMeasure:
    """One generate_project through the workers, timed from enqueue to the closed run."""
    calls_before = bench.fake.calls
    run_id = uuid.uuid4().hex
    payload = GenerateProjectPayload(
        metadata=Metadata(user_id="bench"),
        project_id=graph["project"]["id"],
        graph=graph,
        ai_model=MODEL,
        force_regenerate=force,
        run_id=run_id,
    )
    started = time.perf_counter()
    client.generate_project(payload)
    deadline = started + timeout_s
    while time.perf_counter() < deadline:
        try:
            if deps.history.run_info(run_id).finished_at is not None:
                break
        except NotFoundError:
            pass
        time.sleep(min(MAX_POLL_S, max(POLL_S, (time.perf_counter() - started) / 50)))
    else:
        raise TimeoutError(f"run {run_id} did not finish in {timeout_s:.0f}s")
    seconds = time.perf_counter() - started
    result = run_result(deps, run_id)
    calls = deps.history.llm_calls(run_id)
    by_status: dict[str, int] = {}
    for service in result.services:
        by_status[service.status.value] = by_status.get(service.status.value, 0) + 1
    return RunMeasure(
        run_id=run_id,
        seconds=seconds,
        status=result.status.value,
        services=len(result.services),
        by_status=by_status,
        llm_calls=sum(c.outcome == "ok" for c in calls),
        cached_calls=sum(c.outcome == "cached" for c in calls),
        spend_usd=sum(c.cost_usd for c in calls),
        server_calls=bench.fake.calls - calls_before,
    )


def warm_up(bench: Bench, deps: Deps, client: CodegenClient, nodes: int) -> None:
    """A throwaway project first, so long-lived workers and the client have their
    connections (broker, database pools, HTTP keep-alive) open, as in production."""
    graph = synthetic_project(max(2, nodes), project_id="bench-warm-up")
    run_project(bench, deps, client, graph)


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def spread(values: list[float], unit: str = "s", digits: int = 2) -> str:
    """`min-max over N runs`: what several runs gave, not only the best."""
    if not values:
        return "no runs"
    low, high = min(values), max(values)
    return f"{low:.{digits}f}-{high:.{digits}f}{unit} over {len(values)} runs"


def ratio(measured: float, reference: float) -> float:
    return measured / reference if reference else float("inf")
