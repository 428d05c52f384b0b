"""Pipeline overhead per node with zero LLM latency, and TypeScript validation per node.

.venv/bin/python -m bench.overhead [--nodes 48] [--skip-tsc]
"""

from __future__ import annotations

import argparse
import sys
import time
import uuid

from bench.graphgen import synthetic_project
from bench.harness import MODEL, bench_env
from bench.measure import median, percentile, ratio, run_project, warm_up
from bench.report import Section, write_section
from codegen_tasks.client import CodegenClient
from codegen_tasks.files import GeneratedFile
from codegen_tasks.graph import parse_graph
from codegen_tasks.messages import GenerateProjectPayload, Metadata
from codegen_tasks.pipeline.check import discover_in_run, validate_in_run
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import generate_node
from codegen_tasks.pipeline.project import close_run, start_run
from codegen_tasks.scaffold import render_service
from codegen_tasks.services import build_service_spec
from codegen_tasks.settings import Settings
from codegen_tasks.validation.typescript import TypeScriptChecker


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.overhead", description=__doc__)
    parser.add_argument("--nodes", type=int, default=48, help="SERVICE/GATEWAY nodes")
    parser.add_argument("--skip-tsc", action="store_true", help="no TypeScript timing")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def in_process(deps: Deps, graph: dict[str, object]) -> list[float]:
    """generate → validate → discover of every node through the task bodies, in this
    process, one node at a time: seconds per node (no broker, no LLM latency)."""
    run_id = uuid.uuid4().hex
    payload = GenerateProjectPayload(
        metadata=Metadata(user_id="bench"),
        project_id=str(graph["project"]["id"]),  # type: ignore[index]
        graph=graph,
        ai_model=MODEL,
        run_id=run_id,
    )
    plan = start_run(deps, payload, run_id)
    per_node = []
    for job in plan.jobs:
        started = time.perf_counter()
        generate_node(deps, job)
        validate_in_run(deps, run_id, job.node_id)
        discover_in_run(deps, run_id, job.node_id)
        per_node.append(time.perf_counter() - started)
    close_run(deps, run_id)
    return per_node


def bundles(graph: dict[str, object]) -> dict[str, list[GeneratedFile]]:
    project = parse_graph(graph)
    return {
        node.id: render_service(build_service_spec(project.graph, node.id, project.project.name))
        for node in project.graph.code_nodes()
    }


def typescript(section: Section, settings: Settings, graph: dict[str, object]) -> None:
    checker = TypeScriptChecker.from_settings(settings)
    all_bundles = bundles(graph)
    one = next(iter(all_bundles.values()))
    singles = []
    for _ in range(2):  # the first also warms the file cache
        started = time.perf_counter()
        report = checker.check(one)
        singles.append(time.perf_counter() - started)
    if report.skipped:
        section.add("tsc", f"skipped: {report.skipped}")
        return
    single = min(singles)
    started = time.perf_counter()
    reports = checker.check_many(all_bundles)
    many = time.perf_counter() - started
    passed = sum(1 for r in reports.values() if not r.typescript and not r.build)
    n = len(all_bundles)
    section.add("tsc, one service (TypeScriptChecker.check)", f"{single:.2f}s")
    section.add(
        f"tsc, check_many over {n} services / one alone",
        f"{many:.2f}s / {single:.2f}s = {ratio(many, single):.2f}x ({passed}/{n} pass)",
        "<= 2x",
        ratio(many, single) <= 2.0 and passed == n,
    )
    section.add("tsc per service, batched", f"{many / n * 1000:.0f} ms")


def main(argv: list[str] | None = None) -> Section:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    argv_shown = ["bench.overhead", *argv]
    section = Section("overhead", "Pipeline overhead and validation per node", argv_shown)
    graph = synthetic_project(args.nodes)
    print(f"overhead: {args.nodes} nodes, zero LLM latency")
    with bench_env(latency_s=0.0) as b:
        deps, client = b.deps(), CodegenClient(b.settings)
        in_process(deps, synthetic_project(4, project_id="bench-warm-up-local"))
        per_node = in_process(deps, graph)
        section.add(
            "in-process generate+validate+discover per node, median (p90)",
            f"{median(per_node) * 1000:.1f} ms ({percentile(per_node, 90) * 1000:.1f} ms)",
            "<= 50 ms",
            median(per_node) <= 0.05,
        )
        warm_up(b, deps, client, args.nodes)
        through = run_project(b, deps, client, synthetic_project(args.nodes, project_id="bench-0"))
        section.add(
            f"through the workers, {args.nodes} nodes at zero latency",
            f"{through.seconds:.2f}s = {through.seconds / args.nodes * 1000:.0f} ms/node "
            f"({through.status})",
        )
    if not args.skip_tsc:
        typescript(section, b.settings, graph)
    section.note(
        "In-process: the Celery task bodies run one node at a time against the same real "
        "PostgreSQL, Redis, file:// storage and fake OpenRouter (latency 0) as the workers; "
        "without tsc (CODEGEN_VALIDATE_TYPESCRIPT=false)."
    )
    section.note(
        "tsc is CPU bound: on the codegen.check queue (prefork, one process per core) it, "
        "not the LLM, bounds throughput once enabled; `validate_project` batches a "
        "project's services into one compiler run."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
