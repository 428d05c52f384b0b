"""`codegen report RUN_ID --html out.html`: a run as one self-contained page."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from codegen_tasks.cli.common import JSON_OPTION, console, deps, emit_json, errors_exit

if TYPE_CHECKING:
    from codegen_tasks.pipeline.context import Deps
    from codegen_tasks.report import ReportMeta


def _durations_ms(d: Deps, run_id: str) -> dict[str, float]:
    """Per node, from the start of its generation to its last step (validation and
    discovery included); skipped nodes did nothing in this run."""
    from codegen_tasks.adapters.history.listing import aware
    from codegen_tasks.domain.results import ServiceStatus

    found: dict[str, float] = {}
    for node in d.history.run_nodes(run_id):
        if node.generation_id is None or node.status is ServiceStatus.SKIPPED:
            continue
        generation = d.history.generation(node.generation_id)
        started = aware(generation.created_at) - timedelta(milliseconds=generation.duration_ms)
        ended = node.updated_at or aware(generation.created_at)
        found[node.node_id] = max((ended - started).total_seconds() * 1000, generation.duration_ms)
    return found


def _meta(d: Deps, run_id: str) -> ReportMeta:
    from codegen_tasks.report import ReportMeta

    info = d.history.run_info(run_id)
    durations = _durations_ms(d, run_id)
    return ReportMeta(
        model=info.model,
        batch_id=info.batch_id,
        created_at=info.created_at,
        finished_at=info.finished_at,
        durations_ms=durations,
    )


def report(
    run_id: str = typer.Argument(..., help="The run to report on."),
    html: Path | None = typer.Option(None, "--html", help="Write the page here (else stdout)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """An HTML page of a run: the graph coloured by status, validation matrix, contracts,
    timings, tokens and cost (inline CSS and SVG, no external assets)."""
    from codegen_tasks.checks.graph_input import parse_graph
    from codegen_tasks.pipeline.project import run_result
    from codegen_tasks.report import render_report

    with errors_exit(as_json):
        d = deps()
        result = run_result(d, run_id)
        raw = d.history.snapshot(d.history.run_snapshot_id(run_id))
        page = render_report(result, parse_graph(raw), _meta(d, run_id))
    if html is None and as_json:
        emit_json({"runId": run_id, "status": result.status.value, "page": page})
        return
    if html is None:
        sys.stdout.write(page)
        return
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(page, encoding="utf-8")
    if as_json:
        emit_json({"runId": run_id, "status": result.status.value, "html": str(html),
                   "bytes": len(page.encode())})  # fmt: skip
    else:
        console.print(f"report of run {run_id} written to {html}")
