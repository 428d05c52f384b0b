"""`codegen generate`: read the graph, start the run and follow it (`follow`), report."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import typer

from codegen_tasks.cli.common import JSON_OPTION, deps, errors_exit, require_key
from codegen_tasks.domain.modes import GenerationMode, resolve_mode
from codegen_tasks.errors import PayloadError
from codegen_tasks.settings import get_settings

MAX_GRAPH_FILE_BYTES = 16 * 1024 * 1024


def _read_graph(path: Path) -> dict[str, object]:
    try:
        size = path.stat().st_size
        if size > MAX_GRAPH_FILE_BYTES:
            raise PayloadError(
                f"graph {path.name} is {size} bytes; the limit is {MAX_GRAPH_FILE_BYTES}"
            )
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:  # ValueError: bad UTF-8, bad JSON, huge integers
        raise PayloadError(f"cannot read graph {path.name}: {str(exc)[:200]}") from exc
    except RecursionError as exc:
        raise PayloadError(f"cannot read graph {path.name}: JSON nested too deeply") from exc
    if not isinstance(raw, dict):
        raise PayloadError(f"graph {path.name} is not a JSON object")
    return raw


def _graph_source(path: Path | None, project_id: str | None) -> dict[str, object]:
    """The graph from a file, or from the Graph Service for --project."""
    if (path is None) == (project_id is None):
        raise PayloadError("give a graph file or --project ID (Graph Service), not both")
    if path is not None:
        return _read_graph(path)
    from codegen_tasks.adapters.graphs.http import HttpGraphSource

    return HttpGraphSource.from_settings(get_settings()).fetch(project_id or "")


def generate(
    graph: Path | None = typer.Argument(
        None, exists=True, dir_okay=False, help="Project graph JSON (or --project)."
    ),
    project_id: str | None = typer.Option(
        None,
        "--project",
        help="Fetch the graph from the Graph Service (CODEGEN_GRAPH_SERVICE_URL).",
    ),
    model: str | None = typer.Option(None, "--model", "-m", help="OpenRouter model id."),
    force_regenerate: bool = typer.Option(False, "--force", help="Regenerate unchanged nodes too."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Ask the model again, replacing its cached answers."
    ),
    stream: bool = typer.Option(False, "--stream", help="Stream tokens and show them live."),
    mode: GenerationMode | None = typer.Option(
        None,
        "--mode",
        help="full: the model writes the bundle; multi-step: it plans the files first; hybrid: "
        "the built-in skeleton, the model only the domain files. Default: "
        "CODEGEN_GENERATION_MODE.",
    ),
    multi_step: bool = typer.Option(False, "--multi-step", help="The same as --mode multi-step."),
    ai_review: bool = typer.Option(
        False, "--ai-review", help="Add an AI code review (warnings) and contract descriptions."
    ),
    estimate: bool = typer.Option(
        False, "--estimate", help="Print the expected tokens and cost; generate nothing."
    ),
    timeout: float = typer.Option(3600.0, help="Seconds to wait for the run."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Generate every SERVICE and GATEWAY node of a project graph."""
    from codegen_tasks.api.client import CodegenClient
    from codegen_tasks.api.payloads import GenerateProjectPayload, Metadata
    from codegen_tasks.checks.graph_input import parse_graph
    from codegen_tasks.cli.follow import follow, report

    settings = get_settings()
    with errors_exit(as_json):
        raw = _graph_source(graph, project_id)
        project = parse_graph(raw, max_nodes=settings.max_graph_nodes)
        chosen_mode = resolve_mode(mode, multi_step, settings.generation_mode)
        if estimate:
            from codegen_tasks.cli.estimate import estimate_run, show_estimate

            d = deps(create=True)
            show_estimate(estimate_run(d, project, model, force_regenerate, chosen_mode), as_json)
            return
        payload = GenerateProjectPayload(
            metadata=Metadata(user_id=None),
            project_id=project.project.id,
            graph=raw,
            ai_model=model,
            force_regenerate=force_regenerate,
            no_cache=no_cache,
            stream=stream,
            mode=mode,
            multi_step=multi_step,
            ai_review=ai_review,
            run_id=uuid.uuid4().hex,
        )
        require_key(settings, model, chosen_mode)
        d = deps(create=True)
        result = follow(d, CodegenClient(settings), payload, show=not as_json, timeout=timeout)
    report(result, as_json)
