"""Cold and warm makespan of a synthetic project through real workers, and what each run cost.

.venv/bin/python -m bench.makespan [--nodes 48] [--latency 2] [--concurrency 16] [--repeat 3]
"""

from __future__ import annotations

import argparse
import math
import sys

from bench.graphgen import synthetic_project, uncalled_service, with_description
from bench.harness import bench_env
from bench.measure import RunMeasure, median, ratio, run_project, spread, warm_up
from bench.report import Section, write_section
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.checks.graph_input import parse_graph


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.makespan", description=__doc__)
    parser.add_argument("--nodes", type=int, default=48, help="SERVICE/GATEWAY nodes")
    parser.add_argument("--latency", type=float, default=2.0, help="fake LLM latency, seconds")
    parser.add_argument("--concurrency", type=int, default=16, help="LLM worker threads")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--repeat", type=int, default=3, help="cold runs (fresh projects)")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def _cost(run: RunMeasure) -> str:
    return f"{run.llm_calls} LLM calls, ${run.spend_usd:.4f} (cache hits {run.cached_calls})"


def _bottom_service(graph: dict[str, object]) -> tuple[str, int]:
    """A service others call, and how many services call it directly."""
    project = parse_graph(graph)
    best = max(
        (n for n in project.graph.code_nodes() if not project.graph.outgoing(n.id)),
        key=lambda n: len(project.graph.incoming(n.id)),
    )
    callers = {s.id for _, s in project.graph.incoming(best.id) if s.type.gets_code}
    return best.id, len(callers)


def main(argv: list[str] | None = None) -> Section:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    argv_shown = ["bench.makespan", *argv]
    section = Section("makespan", "Makespan and cost of a project run", argv_shown)
    graph = synthetic_project(args.nodes)
    ideal = math.ceil(args.nodes / args.concurrency) * args.latency
    print(f"makespan: {args.nodes} nodes, latency {args.latency}s, concurrency {args.concurrency}")
    with bench_env(latency_s=args.latency, concurrency=args.concurrency, database=args.db) as b:
        deps, client = b.deps(), CodegenClient(b.settings)
        warm_up(b, deps, client, args.concurrency)
        cold = run_project(b, deps, client, graph)
        colds = [cold]
        for i in range(1, args.repeat):  # other projects: their prompts (names) differ
            other = synthetic_project(args.nodes, project_id=f"bench-{i}", project_name=f"shop-{i}")
            colds.append(run_project(b, deps, client, other))
        warm = run_project(b, deps, client, graph)
        forced = run_project(b, deps, client, graph, force=True)
        leaf_id = uncalled_service(graph)
        leaf = run_project(b, deps, client, with_description(graph, leaf_id, "Changed."))
        bottom_id, callers = _bottom_service(graph)
        bottom = run_project(b, deps, client, with_description(graph, bottom_id, "Changed."))
        costs = {line.key: line for line in deps.history.costs("run")}
    runs = {"cold": cold, "warm": warm, "forced": forced, "leaf": leaf, "bottom": bottom}
    for name, run in runs.items():
        print(f"  {name}: {run.seconds:.3f}s {run.status} {run.by_status} {_cost(run)}")
    cold_ok = cold.status == "succeeded" and cold.by_status.get("succeeded") == args.nodes
    section.add("cold run", f"{cold.status}, {cold.by_status}", "all succeeded", cold_ok)
    ratios = [ratio(run.seconds, ideal) for run in colds]
    section.add(
        f"cold makespan / ideal ceil(N/c)xlatency = {ideal:.2f}s, {len(colds)} fresh projects",
        f"median {median(ratios):.3f}x ({spread(ratios, 'x', 3)})",
        "≤ 1.10x",
        median(ratios) <= 1.10 if ideal else None,
    )
    section.add(
        "cold makespan - ideal (fixed overhead)",
        f"median {median([r.seconds for r in colds]) - ideal:.2f}s",
    )
    warm_ratio = ratio(warm.seconds, cold.seconds)
    section.add(
        "warm makespan / cold (all skipped)",
        f"{warm.seconds:.3f}s / {cold.seconds:.2f}s = {warm_ratio:.3f}x ({warm.by_status})",
        "≤ 0.05x",
        warm_ratio <= 0.05 and warm.by_status.get("skipped") == args.nodes,
    )
    calls = warm.llm_calls + warm.server_calls
    section.add("warm LLM calls", str(calls), "0", not calls)
    section.add(
        "forced (--force) makespan / cold, cache hits",
        f"{forced.seconds:.3f}s = {ratio(forced.seconds, cold.seconds):.3f}x, "
        f"{forced.cached_calls} hits, {forced.server_calls} LLM calls",
    )
    section.add("cost: cold", _cost(cold))
    section.add("cost: warm", _cost(warm), "0 calls", warm.llm_calls == 0)
    section.add("cost: forced", _cost(forced), "0 calls", forced.llm_calls == 0)
    section.add(
        "cost: one changed leaf (no dependants)",
        f"{_cost(leaf)}, {leaf.seconds:.2f}s",
        "exactly 1 call",
        leaf.llm_calls == 1 and leaf.server_calls == 1,
    )
    regenerated = bottom.by_status.get("succeeded", 0)
    section.add(
        f"cost: one changed dependency ({callers} direct callers)",
        f"{regenerated} nodes regenerated: {_cost(bottom)}, {bottom.seconds:.2f}s",
    )
    total = costs.get(cold.run_id)
    if total is not None:
        spent = f"{total.calls} calls, ${total.cost_usd:.4f}"
        section.add("History.costs(by run) for the cold run", spent)
    section.note(
        "Generation path only: the workers run with `CODEGEN_VALIDATE_TYPESCRIPT=false`, so "
        "validation is structural + contract levels (tree-sitter); the compiler is measured "
        "separately by `bench.overhead`."
    )
    section.note(
        "A changed dependency legitimately regenerates its direct callers too: their prompts "
        "describe it (name, description, actions), so their inputs changed."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
