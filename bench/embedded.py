"""Embedded mode (no broker): the makespan of N nodes at a fixed model latency, with the
compiler on, and the offline demo of the shop example, each run several times.

.venv/bin/python -m bench.embedded [--nodes 6] [--latency 3] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from bench.graphgen import synthetic_project
from bench.harness import API_KEY, MODEL, OWN_PREFIXES, ROOT
from bench.measure import median, spread
from bench.report import Section, write_section
from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.domain.results import RunStatus
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.pipeline.embedded import EmbeddedRun
from codegen_tasks.settings import Settings
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from codegen_tasks.wiring import build_deps

SHOP = ROOT / "examples" / "shop.graph.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench.embedded", description=__doc__)
    parser.add_argument("--nodes", type=int, default=6, help="SERVICE/GATEWAY nodes")
    parser.add_argument("--latency", type=float, default=3.0, help="fake LLM latency, seconds")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each measurement")
    parser.add_argument("--no-write", action="store_true", help="print only")
    return parser.parse_args(argv)


def _settings(tmp: Path, **extra: str) -> dict[str, str]:
    return {
        "CODEGEN_DATABASE_URL": f"sqlite:///{tmp / 'codegen.db'}",
        "CODEGEN_STORAGE_URL": f"file://{tmp / 'bundles'}",
        "CODEGEN_CACHE_DIR": str(tmp / "cache"),
        **extra,
    }


def in_process(fake: FakeOpenRouter, graph: dict[str, object], tmp: Path) -> tuple[float, str]:
    """One EmbeddedRun, timed from start to the closed run (the process already warm)."""
    values = _settings(tmp, OPENROUTER_API_KEY=API_KEY, OPENROUTER_BASE_URL=fake.base_url)
    deps = build_deps(Settings.model_validate(values))
    payload = GenerateProjectPayload(
        metadata=Metadata(user_id="bench"),
        project_id=str(graph["project"]["id"]),  # type: ignore[index]
        graph=graph,
        ai_model=MODEL,
        run_id=uuid.uuid4().hex,
    )
    started = time.perf_counter()
    result = EmbeddedRun(deps, payload).run()
    return time.perf_counter() - started, result.status.value


def cli(args: list[str], env_values: dict[str, str], cwd: Path) -> tuple[float, float]:
    """`codegen ARGS` in a fresh process, as a user types it: wall and CPU seconds (the
    process and the compiler it ran)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
    env |= env_values | {"PYTHONPATH": str(ROOT)}
    started, cpu_started = time.perf_counter(), _children_cpu()
    done = subprocess.run(
        [sys.executable, "-m", "codegen_tasks", *args, "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"codegen {args[0]} exited {done.returncode}: {done.stderr[-500:]!r}")
    return time.perf_counter() - started, _children_cpu() - cpu_started


def _children_cpu() -> float:
    times = os.times()
    return times.children_user + times.children_system


def batch_check(graph: dict[str, object]) -> float:
    """The compiler over the run's bundles in one batch, as the run's checks share it."""
    project = parse_graph(graph)
    bundles = {
        n.id: render_service(build_service_spec(project.graph, n.id, project.project.name))
        for n in project.graph.code_nodes()
    }
    checker = TypeScriptChecker.from_settings(Settings(_env_file=None))
    checker.check_many(bundles)  # installs the toolchain if needed, warms the file cache
    started = time.perf_counter()
    checker.check_many(bundles)
    return time.perf_counter() - started


def _seconds(values: list[float]) -> str:
    return f"median {median(values):.2f}s ({spread(values)})"


def main(argv: list[str] | None = None) -> Section:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    section = Section(
        "embedded", "Embedded mode: makespan and the offline demo", ["bench.embedded", *argv]
    )
    graph = synthetic_project(args.nodes, project_id="bench-embedded")
    latency = args.latency
    print(f"embedded: {args.nodes} nodes, latency {latency}s, {args.repeat} runs each")
    check_s = batch_check(graph)
    target = 1.5 * latency + check_s
    inner: list[float] = []
    whole: list[float] = []
    demo: list[float] = []
    whole_cpu: list[float] = []
    demo_cpu: list[float] = []
    with FakeOpenRouter(api_key=API_KEY, responder=scaffold_answer, latency_s=latency) as fake:
        for _ in range(args.repeat):
            with tempfile.TemporaryDirectory(prefix="codegen-bench-") as tmp:
                seconds, status = in_process(fake, graph, Path(tmp))
                if status != RunStatus.SUCCEEDED.value:
                    raise RuntimeError(f"embedded run {status}")
                inner.append(seconds)
            with tempfile.TemporaryDirectory(prefix="codegen-bench-") as tmp:
                path = Path(tmp) / "graph.json"
                path.write_text(json.dumps(graph))
                values = _settings(
                    Path(tmp), OPENROUTER_API_KEY=API_KEY, OPENROUTER_BASE_URL=fake.base_url
                )
                seconds, cpu = cli(["generate", str(path)], values, Path(tmp))
                whole.append(seconds)
                whole_cpu.append(cpu)
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory(prefix="codegen-bench-") as tmp:
            seconds, cpu = cli(["generate", str(SHOP)], _settings(Path(tmp)), Path(tmp))
            demo.append(seconds)
            demo_cpu.append(cpu)
    section.add(f"the run's {args.nodes} bundles in one compiler batch", f"{check_s:.2f}s")
    section.add(
        f"{args.nodes} nodes at {latency:g}s latency, in process (EmbeddedRun)",
        _seconds(inner),
        f"≤ 1.5 x L + batch = {target:.2f}s",
        median(inner) <= target,
    )
    section.add(
        f"{args.nodes} nodes at {latency:g}s latency, `codegen generate` in a fresh process",
        _seconds(whole),
        f"≤ {target:.2f}s",
        median(whole) <= target,
    )
    section.add(
        "offline demo (`codegen generate examples/shop.graph.json`, builtin model)",
        _seconds(demo),
        "≤ 4 s",
        median(demo) <= 4.0,
    )
    section.add(
        "CPU of the fresh process (with the compiler): the run / the demo, medians",
        f"{median(whole_cpu):.2f}s / {median(demo_cpu):.2f}s",
    )
    section.add(
        f"one after another it would take ({args.nodes} x L)", f"{args.nodes * latency:.2f}s"
    )
    section.note(
        "Embedded defaults: SQLite history, file:// storage and cache, the compiler on "
        "(typescript and build levels) and the runtime level (a fresh cache per run, so every "
        "service is booted). The fresh process includes Python start-up and imports and the "
        "database migration check. The CPU row counts neither the sandboxes nor the services."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
