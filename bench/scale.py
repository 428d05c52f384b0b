"""A large project through the workers: makespan against the ideal, the peak memory of each
worker process and the database rows written per node.

.venv/bin/python -m bench.scale [--nodes 500] [--latency 2] [--concurrency 16]
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

import sqlalchemy as sa

from bench.graphgen import synthetic_project
from bench.harness import Bench, bench_env
from bench.measure import ratio, run_project, warm_up
from bench.report import Section, write_section
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.history.tables import Base
from codegen_tasks.api.client import CodegenClient
from codegen_tasks.pipeline.context import Deps


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.scale", description=__doc__)
    parser.add_argument("--nodes", type=int, default=500, help="SERVICE/GATEWAY nodes")
    parser.add_argument("--latency", type=float, default=2.0, help="fake LLM latency, seconds")
    parser.add_argument("--concurrency", type=int, default=16, help="LLM calls in flight")
    parser.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def row_counts(deps: Deps) -> dict[str, int]:
    """Rows in every history table (of the SQL history)."""
    if not isinstance(deps.history, History):
        raise TypeError(f"row counts need the SQL history, not {type(deps.history).__name__}")
    with deps.history.engine.connect() as conn:
        return {
            table.name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
            for table in Base.metadata.sorted_tables
        }


def _descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            todo += [int(child) for child in task.read_text().split()]
    return found


def _peak_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), in KiB; 0 when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return 0
    return 0


def peak_rss(bench: Bench) -> dict[str, list[int]]:
    """Worker name (its Procfile line) -> the peak RSS of its processes, main one first."""
    peaks: dict[str, list[int]] = {}
    for process in bench.workers:
        argv = process.args if isinstance(process.args, list) else []
        name = next((str(a).split("@")[0] for a in argv if "@" in str(a)), str(process.pid))
        peaks[name] = [_peak_kib(pid) for pid in _descendants(process.pid)]
    return peaks


def main(argv: list[str] | None = None) -> Section:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    section = Section("scale", "A large project through the workers", ["bench.scale", *argv])
    graph = synthetic_project(args.nodes, project_id="bench-scale")
    total_nodes = len(graph["graph"]["nodes"])
    ideal = math.ceil(args.nodes / args.concurrency) * args.latency
    print(f"scale: {args.nodes} code nodes ({total_nodes} in all), latency {args.latency}s")
    limit = {"CODEGEN_MAX_GRAPH_NODES": str(max(500, total_nodes))}
    with bench_env(
        latency_s=args.latency, concurrency=args.concurrency, database=args.db, extra_env=limit
    ) as b:
        deps, client = b.deps(), CodegenClient(b.settings)
        warm_up(b, deps, client, args.concurrency)
        before = row_counts(deps)
        timeout = max(600.0, ideal * 4)
        cold = run_project(b, deps, client, graph, timeout_s=timeout)
        after = row_counts(deps)
        peaks = peak_rss(b)
    written = {t: after[t] - before[t] for t in after if after[t] != before[t]}
    section.add(
        "run", f"{cold.status}, {cold.by_status}", "all succeeded", cold.status == "succeeded"
    )
    makespan_ratio = ratio(cold.seconds, ideal)
    section.add(
        "cold makespan / ideal ceil(N/c)xlatency",
        f"{cold.seconds:.2f}s / {ideal:.2f}s = {makespan_ratio:.3f}x",
        "≤ 1.10x",
        makespan_ratio <= 1.10,
    )
    section.add(
        "overhead beyond the ideal, per node",
        f"{(cold.seconds - ideal) / args.nodes * 1000:.1f} ms",
    )
    for name, kib in sorted(peaks.items()):
        shown = ", ".join(f"{k / 1024:.0f}" for k in kib)
        section.add(f"peak RSS of worker `{name}` (MiB; main process, then pool children)", shown)
    per_node = sum(written.values()) / args.nodes
    detail = ", ".join(f"{t} {n / args.nodes:.2f}" for t, n in sorted(written.items()))
    section.add("database rows written per node", f"{per_node:.2f} ({detail})")
    section.note(
        "Generation path only, as in the makespan section (CODEGEN_VALIDATE_TYPESCRIPT=false); "
        "the ratio's two sides come from the same run."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
