"""Cache lookup latency, and task round trips and throughput through the Redis broker.

.venv/bin/python -m bench.throughput [--lookups 2000] [--tasks 500]
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

from celery import Celery, chain, chord, group

from bench.graphgen import synthetic_project
from bench.harness import MODEL, REDIS_URL, bench_env
from bench.measure import median, percentile
from bench.report import Section, write_section
from codegen_tasks.adapters.cache import RedisCache, lookup, store
from codegen_tasks.api.registry import CHECK_QUEUE, CONTROL_QUEUE, LLM_QUEUE
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.generation.prompts import generation_messages
from codegen_tasks.ports.llm import ChatMessage, Completion, CompletionRequest, Usage
from codegen_tasks.testing.echo import scaffold_answer

TRIVIAL = "celery.accumulate"  # Celery's built-in task: returns its argument


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.throughput", description=__doc__)
    parser.add_argument("--lookups", type=int, default=2000, help="cache lookups to time")
    parser.add_argument("--tasks", type=int, default=500, help="tasks for the throughput run")
    parser.add_argument("--chains", type=int, default=48, help="chains in the chord run")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def _request(index: int) -> tuple[CompletionRequest, str]:
    """A realistic generation request and its answer (the scaffold, ~15 KB of JSON)."""
    project = parse_graph(synthetic_project(8))
    node = project.graph.code_nodes()[index % 8]
    messages = generation_messages(build_service_spec(project.graph, node.id, "bench-shop"))
    request = CompletionRequest(model=MODEL, messages=messages, temperature=0.2, max_tokens=16000)
    body = {"messages": [m.model_dump() for m in messages]}
    return request, scaffold_answer(body)


def cache_latency(section: Section, lookups: int) -> None:
    cache = RedisCache(REDIS_URL)
    request, answer = _request(1)
    usage = Usage(prompt_tokens=1000, completion_tokens=4000)
    completion = Completion(content=answer, finish_reason="stop", model=MODEL, usage=usage)
    store(cache, request, completion, 600)
    miss = request.model_copy(update={"messages": [ChatMessage(role="user", content="miss")]})
    hits: list[float] = []
    misses: list[float] = []
    for i in range(lookups):
        started = time.perf_counter()
        found = lookup(cache, request if i % 10 else miss)
        (hits if i % 10 else misses).append(time.perf_counter() - started)
        assert (found is not None) == bool(i % 10)
    cache.close()
    for name, times in (("hit", hits), ("miss", misses)):
        p50, p99 = percentile(times, 50) * 1000, percentile(times, 99) * 1000
        ok = p99 <= 5.0
        section.add(
            f"cache lookup {name} p50 / p99", f"{p50:.2f} / {p99:.2f} ms", "p99 <= 5 ms", ok
        )
    section.note(f"Cache hits return a {len(answer) // 1024} KB answer (the scaffold as JSON).")


def _wait(results: list[Any], timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    for result in results:
        result.get(timeout=max(0.1, deadline - time.monotonic()), interval=0.005)


def broker(section: Section, app: Celery, tasks: int, chains: int) -> None:
    accumulate = app.signature(TRIVIAL)
    round_trips = []
    for i in range(100):
        started = time.perf_counter()
        app.send_task(TRIVIAL, args=[i], queue=CONTROL_QUEUE).get(timeout=30, interval=0.002)
        round_trips.append(time.perf_counter() - started)
    section.add(
        "one trivial task round trip p50 / p99 (send, run, result)",
        f"{median(round_trips) * 1000:.1f} / {percentile(round_trips, 99) * 1000:.1f} ms",
    )
    started = time.perf_counter()
    _wait([app.send_task(TRIVIAL, args=[i], queue=LLM_QUEUE) for i in range(tasks)])
    seconds = time.perf_counter() - started
    section.add(f"{tasks} trivial tasks on the LLM queue", f"{tasks / seconds:.0f} tasks/s")
    started = time.perf_counter()
    steps = [(LLM_QUEUE, 1), (CHECK_QUEUE, 2), (CONTROL_QUEUE, 3)]
    body = group(
        chain(*(accumulate.clone(args=(n,)).set(queue=q) for q, n in steps)) for _ in range(chains)
    )
    chord(body)(accumulate.clone(args=(0,)).set(queue=CONTROL_QUEUE)).get(timeout=120)
    seconds = time.perf_counter() - started
    section.add(
        f"chord of {chains} chains x 3 trivial tasks (llm -> check -> control) + callback",
        f"{seconds:.2f}s = {(chains * 3 + 1) / seconds:.0f} tasks/s",
    )


def main(argv: list[str] | None = None) -> Section:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    argv_shown = ["bench.throughput", *argv]
    section = Section("throughput", "Cache latency and broker throughput", argv_shown)
    print("throughput: Redis cache and Celery broker")
    with bench_env(latency_s=0.0) as b:
        cache_latency(section, args.lookups)
        app = Celery("bench", broker=b.settings.broker_url, backend=b.settings.broker_url)
        try:
            broker(section, app, args.tasks, args.chains)
        finally:
            app.close()
    section.note(
        "The chord mirrors a project run's topology (one chain per node over the three "
        "queues, one callback) with trivial task bodies: the broker's share of a run."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
