"""`codegen generate --estimate`: expected tokens and cost, before anything is spent."""

from __future__ import annotations

from rich.table import Table

from codegen_tasks.budget.estimate import Estimate, estimate_project
from codegen_tasks.cli.common import console, emit_json
from codegen_tasks.domain.graph import ProjectGraph
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generators import Generator, choose_generator, requested_model
from codegen_tasks.pipeline.pricing import generator_price
from codegen_tasks.pipeline.unchanged import unchanged
from codegen_tasks.ports.history import HistoryStore


def completion_average(history: HistoryStore, model: str) -> tuple[int | None, str]:
    """Average completion tokens per answered (uncached) call of the model, from history."""
    for line in history.costs("model"):
        fresh = line.calls - line.cached_calls
        if line.key == model and fresh > 0 and line.completion_tokens > 0:
            return line.completion_tokens // fresh, "history"
    return None, "default"


def unchanged_nodes(d: Deps, project: ProjectGraph, generator: Generator) -> frozenset[str]:
    """Nodes a run would skip: same inputs as their last successful generation."""
    out = set()
    for node in project.graph.code_nodes():
        spec = build_service_spec(project.graph, node.id, project.project.name)
        if unchanged(d, project.project.id, spec, generator) is not None:
            out.add(node.id)
    return frozenset(out)


def estimate_run(
    d: Deps,
    project: ProjectGraph,
    model: str | None,
    force_regenerate: bool,
    mode: GenerationMode | None = None,
) -> Estimate:
    """What the run `generate` would start costs: the same generator, the same skips."""
    generator = choose_generator(
        requested_model(model, d.settings), mode or d.settings.generation_mode
    )
    return estimate_project(
        project,
        generator.model,
        generator_price(d, generator),
        completion_average(d.history, generator.model),
        frozenset() if force_regenerate else unchanged_nodes(d, project, generator),
    )


def _usd(value: float | None) -> str:
    return "unknown" if value is None else f"${value:.4f}"


def show_estimate(estimate: Estimate, as_json: bool) -> None:
    if as_json:
        emit_json(estimate.wire())
        return
    table = Table(title=f"estimate for {estimate.model} (prices: {estimate.price_source})")
    for column in ("service", "prompt tok", "completion tok", "cost", "note"):
        table.add_column(column)
    for s in estimate.services:
        note = "unchanged: skipped" if s.skipped else ""
        table.add_row(
            s.service_name, str(s.prompt_tokens), str(s.completion_tokens), _usd(s.cost_usd), note
        )
    table.add_row(
        "[bold]total",
        str(estimate.prompt_tokens),
        str(estimate.completion_tokens),
        f"[bold]{_usd(estimate.cost_usd)}",
        f"completion from {estimate.completion_source}",
    )
    console.print(table)
