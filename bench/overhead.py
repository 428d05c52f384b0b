"""Pipeline overhead per node with zero LLM latency, and TypeScript validation per node.

.venv/bin/python -m bench.overhead [--nodes 48] [--skip-tsc] [--repeat 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import uuid
from collections.abc import Callable

from bench.graphgen import synthetic_project
from bench.harness import MODEL, bench_env
from bench.measure import median, percentile, run_project, spread, warm_up
from bench.report import Section, write_section
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
from codegen_tasks.checks.contracts import contract_levels
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.pipeline.check import combine
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.project import close_run, start_run
from codegen_tasks.pipeline.steps import NODE_STEPS
from codegen_tasks.platform import load_platform
from codegen_tasks.settings import Settings


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.overhead", description=__doc__)
    parser.add_argument("--nodes", type=int, default=48, help="SERVICE/GATEWAY nodes")
    parser.add_argument("--skip-tsc", action="store_true", help="no TypeScript timing")
    parser.add_argument("--repeat", type=int, default=5, help="compiler timing rounds")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def in_process(deps: Deps, graph: dict[str, object]) -> tuple[list[float], list[float]]:
    """generate → validate → discover of every node through the steps' bodies, in this
    process, one node at a time: wall and CPU seconds per node (no broker, no latency)."""
    run_id = uuid.uuid4().hex
    payload = GenerateProjectPayload(
        metadata=Metadata(user_id="bench"),
        project_id=str(graph["project"]["id"]),  # type: ignore[index]
        graph=graph,
        ai_model=MODEL,
        run_id=run_id,
    )
    plan = start_run(deps, payload, run_id)
    wall, cpu = [], []
    for job in plan.jobs:
        started, cpu_started = time.perf_counter(), time.process_time()
        for step in NODE_STEPS:
            step.run(deps, job)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - cpu_started)
    close_run(deps, run_id)
    return wall, cpu


def specs(graph: dict[str, object]) -> dict[str, tuple[ServiceSpec, list[GeneratedFile]]]:
    project = parse_graph(graph)
    out = {}
    for node in project.graph.code_nodes():
        spec = build_service_spec(project.graph, node.id, project.project.name)
        out[node.id] = (spec, render_service(spec))
    return out


def bundles(graph: dict[str, object]) -> dict[str, list[GeneratedFile]]:
    return {key: files for key, (_, files) in specs(graph).items()}


def _validated(checker: TypeScriptChecker, spec: ServiceSpec, files: list[GeneratedFile]) -> bool:
    """Every static level of one service (structural, contract, typescript, build): True
    when all passed."""
    result = combine(spec, files, checker.check(files), contract_levels(spec, files))
    return bool(result.typescript_passed and result.build_passed and result.structural_passed)


def _timed(work: Callable[[], object]) -> tuple[float, float]:
    started, cpu_started = time.perf_counter(), _cpu()
    work()
    return time.perf_counter() - started, _cpu() - cpu_started


def typescript(section: Section, settings: Settings, graph: dict[str, object], repeat: int) -> None:
    """One service with a database (most of a project's services have one: their ORM's
    typings are most of what the compiler reads), one without (the gateway), then all of
    them in one batch, each `repeat` times (after a warm-up run: the toolchain installed,
    the file cache warm)."""
    checker = TypeScriptChecker.from_settings(settings)
    every = specs(graph)
    all_bundles = {key: files for key, (_, files) in every.items()}
    with_db = next(
        k for k, (spec, _) in every.items() if any(d.edge == "database" for d in spec.dependencies)
    )
    without = next(k for k, (spec, _) in every.items() if spec.kind == "gateway")
    report = checker.check(all_bundles[with_db])
    if report.skipped:
        section.add("tsc", f"skipped: {report.skipped}")
        return
    singles: list[float] = []
    levels: list[float] = []
    gateway: list[float] = []
    batches: list[float] = []
    single_cpu: list[float] = []
    batch_cpu: list[float] = []
    passed = 0
    for _ in range(repeat):
        wall, cpu = _timed(lambda: checker.check(all_bundles[with_db]))
        singles.append(wall)
        single_cpu.append(cpu)
        levels.append(_timed(lambda: _validated(checker, *every[with_db]))[0])
        gateway.append(_timed(lambda: checker.check(all_bundles[without]))[0])
        started, cpu_started = time.perf_counter(), _cpu()
        reports = checker.check_many(all_bundles)
        batches.append(time.perf_counter() - started)
        batch_cpu.append(_cpu() - cpu_started)
        passed = sum(1 for r in reports.values() if not r.typescript and not r.build)
    single, many, n = median(singles), median(batches), len(all_bundles)
    version = load_platform().versions.get("typescript", "?")
    section.add(
        f"compiler (typescript {version}), one service with a database (TypeScriptChecker.check)",
        f"median {single:.3f}s ({spread(singles, digits=3)})",
        "≤ 0.4 s",
        single <= 0.4,
    )
    section.add(
        "... every static level of it (structural, contract, typescript, build)",
        f"median {median(levels):.3f}s ({spread(levels, digits=3)})",
        "≤ 0.4 s",
        median(levels) <= 0.4,
    )
    section.add(
        "compiler, one service without a database (the gateway)",
        f"median {median(gateway):.3f}s ({spread(gateway, digits=3)})",
    )
    section.add(
        f"compiler, check_many over {n} services",
        f"median {many:.3f}s ({spread(batches, digits=3)}), {passed}/{n} pass",
    )
    pairs = sorted(b / s for b, s in zip(batches, singles, strict=True))
    section.add(
        f"{n} in one batch / one with a database alone (each ratio from one round)",
        f"median {median(pairs):.2f}x ({spread(pairs, 'x')})",
        "≤ 1.5x",
        median(pairs) <= 1.5 and passed == n,
    )
    section.add("compiler per service, batched", f"{many / n * 1000:.1f} ms")
    section.add(
        "CPU (this process + the compiler, all threads): one / batch, medians",
        f"{median(single_cpu):.3f}s / {median(batch_cpu):.3f}s",
    )


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the compiler runs)."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


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
        per_node, cpu = in_process(deps, graph)
        section.add(
            "in-process generate+validate+discover per node, median (p90)",
            f"{median(per_node) * 1000:.1f} ms ({percentile(per_node, 90) * 1000:.1f} ms)",
            "≤ 25 ms",
            median(per_node) <= 0.025,
        )
        section.add(
            "... of which this process's CPU, median (p90)",
            f"{median(cpu) * 1000:.1f} ms ({percentile(cpu, 90) * 1000:.1f} ms)",
        )
        warm_up(b, deps, client, args.nodes)
        through = run_project(b, deps, client, synthetic_project(args.nodes, project_id="bench-0"))
        section.add(
            f"through the workers, {args.nodes} nodes at zero latency",
            f"{through.seconds:.2f}s = {through.seconds / args.nodes * 1000:.0f} ms/node "
            f"({through.status})",
        )
    if not args.skip_tsc:
        typescript(section, b.settings, graph, args.repeat)
    section.note(
        "In-process: the Celery task bodies run one node at a time against the same real "
        "PostgreSQL, Redis, file:// storage and fake OpenRouter (latency 0) as the workers; "
        "without the compiler (CODEGEN_VALIDATE_TYPESCRIPT=false)."
    )
    section.note(
        "The compiler is the native TypeScript (a Go binary, run directly): CPU bound, on "
        "the codegen.check queue (prefork, one process per core); `validate_project` and "
        "embedded runs batch services into one compiler run. Its scratch copies are in "
        "RAM (CODEGEN_SCRATCH_DIR, /dev/shm)."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
