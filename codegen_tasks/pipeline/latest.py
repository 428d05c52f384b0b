"""Work on a project's latest bundles, outside a generation run (the validate/contracts tasks)."""

from __future__ import annotations

import contextlib
import hashlib
import json
from typing import Any

from codegen_tasks.adapters.storage.bundles import read_bundle
from codegen_tasks.api.payloads import RegenerateProjectsPayload
from codegen_tasks.api.results import ContractVerdict, ServiceValidation
from codegen_tasks.checks.contracts import (
    called_patterns,
    contract_levels,
    discover,
    discover_contracts,
)
from codegen_tasks.checks.contracts.asyncapi import Project, asyncapi_document, payload_types
from codegen_tasks.checks.contracts.compat import ServiceBundle, apply_typed, plan_checks
from codegen_tasks.checks.contracts.schemas import Schema
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.graph import Graph, Node, ProjectGraph
from codegen_tasks.domain.records import ContractsRecord, GenerationRecord, ValidationRecord
from codegen_tasks.domain.results import ContractSet, Finding, ValidationLevel, ValidationResult
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.errors import NotFoundError, PayloadError, ToolchainError
from codegen_tasks.generation.scaffold.naming import default_port
from codegen_tasks.pipeline.ask import CallContext
from codegen_tasks.pipeline.check import check_many, combine
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generators import generator_of
from codegen_tasks.pipeline.review import with_review
from codegen_tasks.platform import load_platform


def latest_project(deps: Deps, project_id: str) -> ProjectGraph:
    """The graph of the project's latest run. Raises NotFoundError or GraphError."""
    return parse_graph(
        deps.history.latest_snapshot(project_id), max_nodes=deps.settings.max_graph_nodes
    )


def select_nodes(graph: Graph, node: str | None = None) -> list[Node]:
    """The code nodes a command works on: all of them, or the one named by node id or by
    service name. Raises NotFoundError naming what was not found (never an empty selection)."""
    code_nodes = graph.code_nodes()
    if node is None:
        if not code_nodes:
            raise NotFoundError("the graph has no SERVICE or GATEWAY node")
        return code_nodes
    found = [n for n in code_nodes if node in (n.id, n.name)]
    if not found:
        known = ", ".join(f"{n.name} ({n.id})" for n in code_nodes)
        raise NotFoundError(
            f"no service or gateway node {node!r} (by id or service name); the graph has: {known}"
        )
    return found[:1]


def _bundle(
    deps: Deps, project_id: str, node_id: str
) -> tuple[GenerationRecord, list[GeneratedFile]]:
    generation = deps.history.latest_generation(project_id, node_id)
    if generation is not None and generation.bundle_uri is None:  # a failed generation
        generation = deps.history.latest_generation(project_id, node_id, succeeded=True)
    if generation is None or generation.bundle_uri is None:
        raise NotFoundError(f"node {node_id!r} of project {project_id!r} has no generated bundle")
    return generation, read_bundle(deps.store, generation.bundle_uri)


def validation_key(generation: GenerationRecord, result: ValidationResult) -> str:
    """The idempotency key of a validation of a stored bundle outside a run: the generation
    and the verdict, so a redelivered or repeated identical request records one validation
    (a different verdict, e.g. after a toolchain upgrade, is a new one)."""
    canonical = json.dumps(result.wire(), sort_keys=True, separators=(",", ":"))
    return f"{generation.id}:validate:{hashlib.sha256(canonical.encode()).hexdigest()[:32]}"


def _record(deps: Deps, generation: GenerationRecord, result: ValidationResult) -> None:
    deps.history.record_validation(
        ValidationRecord(
            id=deps.ids(),
            idempotency_key=validation_key(generation, result),
            generation_id=generation.id,
            run_id=None,
            node_id=generation.node_id,
            result=result,
            created_at=deps.clock(),
        )
    )


def validate_latest(
    deps: Deps, project_id: str, node_id: str, *, ai_review: bool = False
) -> ValidationResult:
    """Validate one node's latest bundle (NotFoundError when it has none)."""
    found = validate_project(deps, project_id, node_id, ai_review=ai_review)
    if not found or found[0].validation is None:
        raise NotFoundError(f"node {node_id!r} of project {project_id!r} has no generated bundle")
    return found[0].validation


def validate_project(
    deps: Deps, project_id: str, node_id: str | None = None, *, ai_review: bool = False
) -> list[ServiceValidation]:
    """Validate every generated service of a project, compiling them in one batch; the
    optional AI review adds warnings. A service without a bundle comes last, with its error."""
    project = latest_project(deps, project_id)
    nodes = select_nodes(project.graph, node_id)
    bundles: dict[str, tuple[GenerationRecord, list[GeneratedFile]]] = {}
    missing: list[ServiceValidation] = []
    for node in nodes:
        try:
            bundles[node.id] = _bundle(deps, project_id, node.id)
        except NotFoundError as exc:
            missing.append(
                ServiceValidation(node_id=node.id, service_name=node.name, error=exc.message)
            )
    context = dict(bundles)  # one node's callees come along for the typed contract check
    for _, target in project.graph.outgoing(node_id) if node_id is not None else []:
        if target.type.gets_code and target.id not in context:
            with contextlib.suppress(NotFoundError):
                context[target.id] = _bundle(deps, project_id, target.id)
    typed = plan_checks(
        [
            ServiceBundle(node.id, node.name, context[node.id][1], discover(context[node.id][1]))
            for node in project.graph.code_nodes()
            if node.id in context
        ]
    )
    reports, extra = (
        deps.typescript.check_batch({k: f for k, (_, f) in context.items()}, typed.sources)
        if deps.typescript is not None and bundles
        else ({}, None)
    )
    typed_findings = typed.findings(extra.diagnostics, extra.skipped) if extra else {}
    specs = {
        key: (build_service_spec(project.graph, key, project.project.name), files)
        for key, (_, files) in bundles.items()
    }
    checked = check_many(deps.runtime, specs, reports, deps.settings.runtime_concurrency)
    out: list[ServiceValidation] = []
    platform = load_platform(deps.settings.platform_extra_packages)
    for node in nodes:
        if node.id not in bundles:
            continue
        generation, files = bundles[node.id]
        spec = specs[node.id][0]
        levels, runtime = checked[node.id]
        result = apply_typed(
            combine(spec, files, reports.get(node.id), levels, runtime, platform),
            typed_findings.get(node.id),
        )
        if ai_review:
            ctx = CallContext(None, project_id, node.id, generation.user_id, "review")
            result = with_review(deps, ctx, generator_of(generation), node.name, files, result)
        _record(deps, generation, result)
        out.append(ServiceValidation(node_id=node.id, service_name=node.name, validation=result))
    return out + missing


def discover_latest(deps: Deps, project_id: str, node_id: str) -> ContractSet:
    """One node's contracts (by node id or service name)."""
    return discover_project(deps, project_id, node_id)[0][1]


def discover_project(
    deps: Deps, project_id: str, node: str | None = None
) -> list[tuple[Node, ContractSet]]:
    """The contracts of every selected node's latest bundle, recorded."""
    found: list[tuple[Node, ContractSet]] = []
    for code_node in select_nodes(latest_project(deps, project_id).graph, node):
        generation, files = _bundle(deps, project_id, code_node.id)
        contracts = discover_contracts(files)
        deps.history.record_contracts(
            ContractsRecord(
                generation_id=generation.id, node_id=code_node.id, contracts=contracts.contracts
            )
        )
        found.append((code_node, contracts))
    return found


def asyncapi_latest(deps: Deps, project_id: str) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the project's latest bundles (and graph-implied patterns);
    payload schemas need the contract tools (`deps.payload_schemas`)."""
    project = latest_project(deps, project_id)
    bundles: list[ServiceBundle] = []
    services: dict[str, tuple[str, int, list[str]]] = {}
    for node in project.graph.code_nodes():
        spec = build_service_spec(project.graph, node.id, project.project.name)
        services[node.id] = (node.name, default_port(node.name), spec.patterns())
        try:
            _, files = _bundle(deps, project_id, node.id)
        except NotFoundError:
            continue
        bundles.append(ServiceBundle(node.id, node.name, files, discover(files)))
    types = payload_types(bundles)
    schemas: dict[str, Schema | None] = {}
    missing = "the TypeScript levels are disabled" if deps.payload_schemas is None else None
    try:
        if deps.payload_schemas is not None:
            schemas = deps.payload_schemas.schemas({b.key: b.files for b in bundles}, types)
    except ToolchainError as exc:
        missing = exc.message
    info = Project(project.project.id, project.project.name, "", services)
    document = asyncapi_document(info, bundles, types, schemas)
    if missing is not None:
        document["info"]["x-codegen-payload-schemas"] = f"not derived: {missing}"
    return document


def verify_contracts(deps: Deps, project_id: str, node_id: str) -> ContractVerdict:
    """The node's own contract levels, plus every call its dependants make to it."""
    project = latest_project(deps, project_id)
    node_id = select_nodes(project.graph, node_id)[0].id
    spec = build_service_spec(project.graph, node_id, project.project.name)
    _, files = _bundle(deps, project_id, node_id)
    levels = contract_levels(spec, files)
    handled = {c.pattern for c in levels.contracts.contracts}
    errors, warnings = list(levels.errors), list(levels.warnings)
    for _, source in project.graph.incoming(node_id):
        if not source.type.gets_code:
            continue
        try:
            _, caller_files = _bundle(deps, project_id, source.id)
        except NotFoundError:
            warnings.append(_finding(f"{source.name} has no bundle yet; its calls are unchecked"))
            continue
        for call in called_patterns(caller_files):
            if call.pattern.startswith(f"{spec.name}.") and call.pattern not in handled:
                errors.append(
                    _finding(
                        f"{source.name} calls '{call.pattern}', which {spec.name} does not handle",
                        f"{source.name}/{call.file}",
                        call.line,
                    )
                )
    return ContractVerdict(
        node_id=node_id,
        service_name=spec.name,
        passed=not errors,
        contracts=levels.contracts.contracts,
        errors=errors,
        warnings=warnings,
    )


def _finding(message: str, file: str | None = None, line: int = 0) -> Finding:
    return Finding(level=ValidationLevel.CONTRACT, message=message, file=file, line=line)


def select_projects(deps: Deps, request: RegenerateProjectsPayload) -> list[str]:
    if request.all:
        return deps.history.project_ids()
    if not request.project_ids:
        raise PayloadError("name projectIds or set all")
    known = set(deps.history.project_ids())
    unknown = [p for p in request.project_ids if p not in known]
    if unknown:
        raise PayloadError(f"unknown projects: {unknown}")
    return list(request.project_ids)


def batch_run_id(batch_id: str, project_id: str) -> str:
    """A stable run id per project of a batch: a rerun of the batch finds its runs again."""
    return hashlib.sha256(f"{batch_id}:{project_id}".encode()).hexdigest()[:32]
