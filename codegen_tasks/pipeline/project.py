"""Project runs: plan the per-node jobs, and close the run once every chain is done."""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.graph import Node, ProjectGraph
from codegen_tasks.domain.modes import resolve_mode
from codegen_tasks.domain.records import GenerationRecord, RunInfo, RunNode
from codegen_tasks.domain.results import (
    Contract,
    RunResult,
    RunStatus,
    ServiceResult,
    ServiceStatus,
    ValidationResult,
    run_status,
)
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.errors import NotFoundError, PayloadError
from codegen_tasks.pipeline.breaking import report_breaking
from codegen_tasks.pipeline.closing import close_abandoned
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generators import Generator, choose_generator, requested_model
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.typed import typed_check_in_run
from codegen_tasks.pipeline.unchanged import unchanged_of

NOT_FINISHED = "the node's task chain ended before the node finished"
CANCELLED = "cancelled before the node finished"


@dataclass(frozen=True)
class RunPlan:
    run_id: str
    project_id: str
    jobs: list[NodeJob]
    created: bool  # False when the run existed already (a redelivered task)


def load_project(deps: Deps, payload: GenerateProjectPayload) -> ProjectGraph:
    """The graph from the payload, else from the Graph Service when one is configured, else
    the project's last stored one. Raises GraphError."""
    raw = payload.graph
    if raw is None and deps.graphs is not None:
        raw = deps.graphs.fetch(payload.project_id)
    if raw is None:
        try:
            raw = deps.history.latest_snapshot(payload.project_id)
        except NotFoundError as exc:
            raise PayloadError(
                f"project {payload.project_id!r} has no stored graph; send `graph`"
            ) from exc
    project = parse_graph(raw, max_nodes=deps.settings.max_graph_nodes)
    if project.project.id != payload.project_id:
        raise PayloadError(
            f"projectId {payload.project_id!r} does not match the graph's project "
            f"{project.project.id!r}"
        )
    return project


def start_run(
    deps: Deps, payload: GenerateProjectPayload, run_id: str, batch_id: str | None = None
) -> RunPlan:
    project = load_project(deps, payload)
    code_nodes = project.graph.code_nodes()
    if payload.only_nodes is not None:  # refused before anything is written
        unknown = set(payload.only_nodes) - {n.id for n in code_nodes}
        if unknown:
            raise PayloadError(
                f"onlyNodes: not service or gateway nodes of the graph: {sorted(unknown)}",
                problems=[f"onlyNodes: unknown nodes {sorted(unknown)}"],
            )
        code_nodes = [n for n in code_nodes if n.id in payload.only_nodes]
    close_abandoned(deps, project.project.id, keep=run_id)
    model = requested_model(payload.ai_model, deps.settings)
    mode = resolve_mode(payload.mode, payload.multi_step, deps.settings.generation_mode)
    generator = choose_generator(model, mode)
    graph_json = project.model_dump(mode="json", by_alias=True)
    snapshot_id = deps.history.save_snapshot(
        project.project.id, project.project.name, graph_json, deps.clock()
    )
    info = RunInfo(
        id=run_id,
        project_id=project.project.id,
        project_name=project.project.name,
        status=RunStatus.RUNNING.value,
        model=model,
        force_regenerate=payload.force_regenerate,
        user_id=payload.metadata.user_id,
        batch_id=batch_id,
        created_at=deps.clock(),
        finished_at=None,
        mode=mode.value,
        stream=payload.stream,
        ai_review=payload.ai_review,
    )
    # Whole-project runs settle unchanged nodes here; a single node's run (only_nodes) goes
    # through generate_node, which skips it the same way.
    planned = not payload.force_regenerate and payload.only_nodes is None
    skipped = _unchanged(deps, project, code_nodes, generator) if planned else {}
    created = deps.history.create_run(
        info,
        snapshot_id,
        [
            (n.id, n.name, ServiceStatus.SKIPPED if n.id in skipped else ServiceStatus.QUEUED)
            for n in code_nodes
        ],
        project.graph.cycles(),
        generations=skipped,
    )
    if created:  # unchanged nodes are done at once: no task chain is dispatched for them
        code_nodes = [n for n in code_nodes if n.id not in skipped]
    jobs = [
        NodeJob(
            project_id=project.project.id,
            node_id=n.id,
            run_id=run_id,
            model=model,
            force_regenerate=payload.force_regenerate,
            stream=payload.stream,
            no_cache=payload.no_cache,
            user_id=payload.metadata.user_id,
            mode=mode,
            ai_review=payload.ai_review,
            service_name=n.name,
        )
        for n in code_nodes
    ]
    return RunPlan(run_id=run_id, project_id=project.project.id, jobs=jobs, created=created)


def _unchanged(
    deps: Deps, project: ProjectGraph, nodes: list[Node], generator: Generator
) -> dict[str, str]:
    """Node id -> its last successful generation, for nodes whose inputs did not change."""
    specs = [build_service_spec(project.graph, n.id, project.project.name) for n in nodes]
    found = unchanged_of(deps, project.project.id, specs, generator)
    return {node_id: generation.id for node_id, generation in found.items()}


@dataclass(frozen=True)
class _Stored:
    """What the history holds for a run's generations, read in three queries."""

    generations: dict[str, GenerationRecord]
    validations: dict[str, ValidationResult]
    contracts: dict[str, list[Contract]]

    @classmethod
    def of(cls, deps: Deps, nodes: list[RunNode]) -> _Stored:
        ids = [n.generation_id for n in nodes if n.generation_id is not None]
        generations = deps.history.generations(ids)
        missing = next((i for i in ids if i not in generations), None)
        if missing is not None:
            deps.history.generation(missing)  # raises NotFoundError, as reading it alone did
        return cls(generations, deps.history.validations_for(ids), deps.history.contracts_of(ids))


def _service(node: RunNode, stored: _Stored) -> ServiceResult:
    result = ServiceResult(
        node_id=node.node_id,
        service_name=node.service_name,
        status=node.status,
        error=node.error,
        error_code=node.error_code,
        error_status=node.error_status,
        streamed_tokens=node.streamed_tokens,
    )
    if node.generation_id is None:
        return result
    gen = stored.generations[node.generation_id]
    fresh = node.status is not ServiceStatus.SKIPPED
    return result.model_copy(
        update={
            "files": len(gen.files),
            "bundle_uri": gen.bundle_uri,
            "cached": gen.cached and fresh,
            "tokens": gen.prompt_tokens + gen.completion_tokens if fresh else 0,
            "cost_usd": gen.cost_usd if fresh else 0.0,
            "validation": stored.validations.get(gen.id),
            "contracts": stored.contracts[gen.id],
            "model": gen.answered_model or gen.model,
            "error": node.error or (gen.error if node.status is ServiceStatus.FAILED else None),
        }
    )


def run_result(deps: Deps, run_id: str) -> RunResult:
    """What `codegen status` and `generate --json` print: the run and each service."""
    info = deps.history.run_info(run_id)
    nodes = deps.history.run_nodes(run_id)
    stored = _Stored.of(deps, nodes)
    services = [_service(n, stored) for n in nodes]
    status = RunStatus(info.status) if info.finished_at else run_status(services)
    return RunResult(
        project_id=info.project_id,
        run_id=run_id,
        status=status,
        services=services,
        cycles=deps.history.run_cycles(run_id),
        breaking_changes=deps.history.breaking_changes(run_id) or [],
    )


def close_run(deps: Deps, run_id: str) -> RunResult:
    """The chord callback: nodes still unfinished are failed, then the run is closed."""
    return _close(deps, run_id, NOT_FINISHED, None)


def cancel_run(deps: Deps, run_id: str) -> RunResult:
    """Its user stopped the run: unfinished nodes fail as cancelled, the run is `cancelled`."""
    return _close(deps, run_id, CANCELLED, RunStatus.CANCELLED)


def _close(deps: Deps, run_id: str, unfinished: str, status: RunStatus | None) -> RunResult:
    """Close the run once: a run already closed (cancelled, abandoned) stays as it is."""
    with deps.history.transaction():  # one transaction, however many nodes
        if deps.history.run_info(run_id).finished_at is not None:
            return run_result(deps, run_id)
        for node in deps.history.run_nodes(run_id):
            if not node.status.finished:
                deps.history.set_node(
                    run_id, node.node_id, ServiceStatus.FAILED, deps.clock(), error=unfinished
                )
        if deps.history.breaking_changes(run_id) is None:  # the run's first close
            typed_check_in_run(deps, run_id)
        report_breaking(deps, run_id)
        result = run_result(deps, run_id)
        status = status or run_status(result.services)
        deps.history.finish_run(run_id, status.value, deps.clock())
    return result.model_copy(update={"status": status})


def unfinished_jobs(deps: Deps, plan: RunPlan) -> list[NodeJob]:
    """A resumed run's jobs whose nodes did not finish: finished nodes are not redone."""
    done = {n.node_id for n in deps.history.run_nodes(plan.run_id) if n.status.finished}
    return [job for job in plan.jobs if job.node_id not in done]
