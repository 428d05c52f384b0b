"""The runtime check's cost: seconds per service booted in the sandbox and probed, and per
project (boots in parallel up to --concurrency), on the built-in generator's bundles.

.venv/bin/python -m bench.runtime [--nodes 48] [--concurrency 2] [--no-write]
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.graphgen import synthetic_project
from bench.measure import median
from bench.overhead import bundles
from bench.report import Section, write_section
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.runtime import RuntimeChecker
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.pipeline.check import check_many
from codegen_tasks.settings import Settings

WARM_S = 1.5  # how long a sandbox started ahead waits before its check (its platform loads)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.runtime", description=__doc__)
    parser.add_argument("--nodes", type=int, default=48, help="SERVICE/GATEWAY nodes")
    parser.add_argument("--concurrency", type=int, default=2, help="services booted at once")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> Section:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    title = "Runtime check per service and per project"
    section = Section("runtime", title, ["bench.runtime", *argv])
    settings = Settings()
    graph = synthetic_project(args.nodes, project_id="bench-runtime")
    project = parse_graph(graph)
    files = bundles(graph)
    jobs = {
        key: (build_service_spec(project.graph, key, project.project.name), bundle)
        for key, bundle in files.items()
    }
    print(f"runtime: {args.nodes} services, {args.concurrency} at a time")
    reports = TypeScriptChecker(Toolchain(settings.toolchain_dir)).check_many(files)
    checker = RuntimeChecker.from_settings(settings)
    first = next(iter(jobs))
    singles = []
    for _ in range(3):
        started = time.perf_counter()
        check_many(checker, {first: jobs[first]}, reports, 1)
        singles.append(time.perf_counter() - started)
    ahead = []
    for _ in range(3):  # as embedded runs do: started ahead, its platform loaded meanwhile
        checker.prepare()
        time.sleep(WARM_S)
        started = time.perf_counter()
        check_many(checker, {first: jobs[first]}, reports, 1)
        ahead.append(time.perf_counter() - started)
    started = time.perf_counter()
    checked = check_many(checker, jobs, reports, args.concurrency)
    whole = time.perf_counter() - started
    ran = [runtime for _, runtime in checked.values() if runtime is not None]
    skipped = [r.skipped for r in ran if r.skipped]
    if skipped or not ran:
        section.add("runtime check", f"skipped: {skipped[0] if skipped else 'nothing built'}")
    else:
        passed = sum(r.health_passed is True and r.runtime_passed is True for r in ran)
        one = f"{median(singles):.2f}s"
        section.add("one service: build output → sandbox → probe, median of 3", one)
        section.add(
            f"one service in a sandbox started {WARM_S:g}s ahead (embedded runs), median of 3",
            f"{median(ahead):.2f}s",
        )
        section.add(
            f"project of {args.nodes}, {args.concurrency} at a time",
            f"{whole:.1f}s = {whole / args.nodes:.2f}s/service ({passed}/{len(ran)} pass)",
            "all pass",
            passed == len(ran) == args.nodes,
        )
        inside = f"{median([r.seconds for r in ran]):.2f}s"
        section.add("in the sandbox per service, median", inside)
    section.note(
        "Each check writes the bundle's files and emitted JavaScript to a scratch directory, "
        "starts bubblewrap with node and the probe, which spawns the service's process at "
        "once (it loads the platform's NestJS, then the service's code), waits for the port "
        "in 10 ms polls, sends health, every handler and the CRUD round trip over NestJS's "
        "framing, and kills the sandbox the moment the last answer is in. Node's start and "
        "NestJS's loading dominate and are CPU bound; embedded runs start a node's sandbox "
        "when the node starts, so that part overlaps the model call and the compiler. The "
        "project row boots every service (no verdict cache here)."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
