"""Generation of one service node: skip, scaffold or ask the model, store the bundle."""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from codegen_tasks.adapters.storage.bundles import read_bundle, write_bundle
from codegen_tasks.checks.contracts.typetext import CalleeTypes, callee_types
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.records import FileEntry, FileSource, GenerationRecord
from codegen_tasks.domain.results import ServiceStatus
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec, called_targets
from codegen_tasks.errors import CodegenError, ResponseFormatError
from codegen_tasks.generation.hybrid import (
    HYBRID_PROMPT_VERSION,
    asks_model,
    check_answer,
    hybrid_messages,
    merge,
)
from codegen_tasks.generation.parsing import parse_files
from codegen_tasks.generation.plan import Plan, files_messages, parse_plan, plan_messages
from codegen_tasks.generation.prompts import PROMPT_VERSION, generation_messages, repair_messages
from codegen_tasks.generation.scaffold import SCAFFOLD_VERSION, render_service
from codegen_tasks.pipeline.ask import Answer, CallContext, ask
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.progress import StreamProgress
from codegen_tasks.pipeline.snapshots import snapshot_project
from codegen_tasks.platform import load_platform
from codegen_tasks.ports.llm import ChatMessage, CompletionRequest
from codegen_tasks.settings import BUILTIN_MODEL

log = logging.getLogger("codegen_tasks.pipeline")
CLOSED = "the run was closed before this node started"


@dataclass(frozen=True)
class NodeJob:
    project_id: str
    node_id: str
    run_id: str
    model: str
    force: bool = False
    stream: bool = False
    user_id: str | None = None
    mode: GenerationMode = GenerationMode.FULL
    ai_review: bool = False
    service_name: str | None = None  # for operators (Flower's argument summaries)


@dataclass
class Produced:
    files: list[GeneratedFile]
    answered_model: str
    prompt_hash: str | None = None
    cached: bool = False
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model_paths: frozenset[str] | None = None  # the files the model wrote; None: all of them

    def source(self, path: str) -> FileSource:
        """Who wrote the file at `path`: the model or the built-in generator."""
        if self.answered_model == BUILTIN_MODEL:
            return "builtin"
        mine = self.model_paths is None or path in self.model_paths
        return "model" if mine else "builtin"

    def count(self, answer: Answer) -> None:
        """Add one answer's spend; a cached answer cost nothing this time."""
        usage = answer.completion.usage
        if not answer.cached:
            self.prompt_tokens += usage.prompt_tokens
            self.completion_tokens += usage.completion_tokens
        self.cost_usd += answer.cost_usd


def prompt_version(mode: GenerationMode) -> str:
    return HYBRID_PROMPT_VERSION if mode is GenerationMode.HYBRID else PROMPT_VERSION


def inputs_hash(spec: ServiceSpec, model: str, mode: GenerationMode = GenerationMode.FULL) -> str:
    """Everything that shapes a node's output; unchanged hash → nothing to regenerate."""
    generator = SCAFFOLD_VERSION if model == BUILTIN_MODEL else prompt_version(mode)
    canonical = json.dumps(
        {"spec": spec.model_dump(mode="json"), "model": model, "generator": generator},
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def load_spec(deps: Deps, run_id: str, node_id: str) -> ServiceSpec:
    project = snapshot_project(deps, deps.history.run_snapshot_id(run_id))
    return build_service_spec(project.graph, node_id, project.project.name)


def _request(deps: Deps, job: NodeJob, messages: list[ChatMessage]) -> CompletionRequest:
    return CompletionRequest(
        model=job.model,
        messages=messages,
        temperature=deps.settings.temperature,
        max_tokens=deps.settings.max_tokens,
        prompt_version=prompt_version(job.mode),
        mode=job.mode.value,
    )


def ask_for_files(
    deps: Deps,
    job: NodeJob,
    base: list[ChatMessage],
    purpose: str = "generate",
    check: Callable[[list[GeneratedFile]], None] | None = None,
) -> Produced:
    """Ask until the answer is a usable bundle, re-asking with the problem (bounded).
    `check` may reject a parsed bundle with a ResponseFormatError (re-asked likewise)."""
    request = _request(deps, job, base)
    produced = Produced(files=[], answered_model=job.model)
    produced.prompt_hash = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
    progress = StreamProgress(deps, job.run_id, job.node_id) if job.stream else None
    while True:
        ctx = CallContext(job.run_id, job.project_id, job.node_id, job.user_id, purpose)
        answer = ask(deps, request, ctx, on_chunk=progress.on_chunk if progress else None)
        completion = answer.completion
        produced.attempts += 1
        produced.cached = answer.cached
        produced.answered_model = completion.model
        produced.count(answer)
        try:
            produced.files = parse_files(
                completion.content,
                max_files=deps.settings.max_files,
                max_file_bytes=deps.settings.max_file_bytes,
                finish_reason=completion.finish_reason,
            )
            if check is not None:
                check(produced.files)
            return produced
        except ResponseFormatError as exc:
            if produced.attempts > deps.settings.repair_attempts:
                exc.message = f"{exc.message} (after {produced.attempts} attempts)"
                raise
            messages = repair_messages(
                base, completion.content, exc.message, truncated=exc.truncated
            )
            request, purpose = _request(deps, job, messages), "repair"


def _plan(deps: Deps, job: NodeJob, spec: ServiceSpec) -> tuple[Plan, Answer]:
    request = _request(deps, job, plan_messages(spec))
    ctx = CallContext(job.run_id, job.project_id, job.node_id, job.user_id, "plan")
    answer = ask(deps, request, ctx)
    return parse_plan(answer.completion.content), answer


def callee_types_of(deps: Deps, job: NodeJob, spec: ServiceSpec) -> dict[str, CalleeTypes]:
    """The exact message types of the services `spec` calls, from each one's latest
    successful generation. A callee regenerated in the same run is left out (its contracts
    are about to change, and a run's prompts must not depend on the order its nodes finish
    in), as are callees not generated yet."""
    in_run = {n.node_id: n.status for n in deps.history.run_nodes(job.run_id)}
    found: dict[str, CalleeTypes] = {}
    for dep in called_targets(spec):
        if in_run.get(dep.node_id, ServiceStatus.SKIPPED) is not ServiceStatus.SKIPPED:
            continue
        generation = deps.history.latest_generation(job.project_id, dep.node_id, succeeded=True)
        if generation is None or generation.bundle_uri is None:
            continue
        contracts = deps.history.contracts_for(generation.id)
        if contracts:
            files = read_bundle(deps.store, generation.bundle_uri)
            found[dep.name] = callee_types(files, contracts)
    return found


def ask_hybrid(
    deps: Deps,
    job: NodeJob,
    spec: ServiceSpec,
    skeleton: list[GeneratedFile],
    fix: Callable[[list[ChatMessage]], list[ChatMessage]] | None = None,
    purpose: str = "generate",
) -> Produced:
    """Hybrid mode: the model's domain files (re-asked while it returns skeleton files) on
    the skeleton. `fix` turns the hybrid prompt into the feedback loop's."""
    platform = load_platform(deps.settings.platform_extra_packages)
    base = hybrid_messages(spec, skeleton, callee_types_of(deps, job, spec), platform)
    messages = fix(base) if fix else base
    produced = ask_for_files(
        deps, job, messages, purpose, check=lambda files: check_answer(spec, skeleton, files)
    )
    produced.model_paths = frozenset(f.path for f in produced.files)
    produced.files = merge(skeleton, produced.files)
    return produced


def produce_files(deps: Deps, job: NodeJob, spec: ServiceSpec) -> Produced:
    """The node's files: the built-in scaffold, or the model's (after a file plan in
    multi-step mode; on the scaffold's skeleton in hybrid mode)."""
    platform = load_platform(deps.settings.platform_extra_packages)
    if job.model == BUILTIN_MODEL:
        return Produced(files=render_service(spec), answered_model=BUILTIN_MODEL, attempts=1)
    if job.mode is GenerationMode.HYBRID:
        skeleton = render_service(spec, platform)
        if not asks_model(spec, skeleton):
            return Produced(files=skeleton, answered_model=BUILTIN_MODEL, model_paths=frozenset())
        return ask_hybrid(deps, job, spec, skeleton)
    if job.mode is GenerationMode.FULL:
        messages = generation_messages(spec, callee_types_of(deps, job, spec), platform)
        return ask_for_files(deps, job, messages)
    plan, answer = _plan(deps, job, spec)
    produced = ask_for_files(deps, job, files_messages(spec, plan))
    produced.count(answer)
    return produced


def _record(
    deps: Deps,
    job: NodeJob,
    spec_name: str,
    ihash: str,
    status: ServiceStatus,
    started: float,
    key: str = "generate",
    **fields: object,
) -> GenerationRecord:
    record = GenerationRecord.model_validate(
        {
            "id": deps.ids(),
            "idempotency_key": f"{job.run_id}:{job.node_id}:{key}",
            "run_id": job.run_id,
            "project_id": job.project_id,
            "node_id": job.node_id,
            "service_name": spec_name,
            "status": status,
            "model": job.model,
            "prompt_version": prompt_version(job.mode),
            "inputs_hash": ihash,
            "duration_ms": (time.monotonic() - started) * 1000,
            "user_id": job.user_id,
            "created_at": deps.clock(),
            **fields,
        }
    )
    return deps.history.record_generation(record)


def record_failure(deps: Deps, job: NodeJob, error: CodegenError | str) -> GenerationRecord:
    """Store a failed generation and mark the node failed (also used when retries run out)."""
    message = error if isinstance(error, str) else error.message
    code = None if isinstance(error, str) else error.code
    status = None if isinstance(error, str) else error.data.get("status")
    status = status if isinstance(status, int) else None
    try:
        spec = load_spec(deps, job.run_id, job.node_id)
        name, ihash = spec.name, inputs_hash(spec, job.model, job.mode)
    except CodegenError:
        name, ihash = job.node_id, ""
    record = _record(
        deps,
        job,
        name,
        ihash,
        ServiceStatus.FAILED,
        time.monotonic(),
        error=message,
        error_code=code,
        error_status=status,
    )
    deps.history.set_node(
        job.run_id,
        job.node_id,
        ServiceStatus.FAILED,
        deps.clock(),
        error=record.error,
        error_code=record.error_code,
        error_status=record.error_status,
    )
    return record


def _resume(deps: Deps, job: NodeJob, done: GenerationRecord) -> GenerationRecord:
    """Point the node at its recorded generation when a blip struck after the record was
    written but before the node was (else validation finds nothing and the node fails)."""
    nodes = {n.node_id: n for n in deps.history.run_nodes(job.run_id)}
    node = nodes.get(job.node_id)
    stored = done.status is not ServiceStatus.FAILED
    if stored and node is not None and node.generation_id is None:
        deps.history.set_node(
            job.run_id, job.node_id, ServiceStatus.VALIDATING, deps.clock(), generation_id=done.id
        )
    return done


def generate_node(deps: Deps, job: NodeJob) -> GenerationRecord:
    """Generate one node for a run. Retryable errors propagate; others are recorded."""
    with deps.history.transaction():  # the step's reads and first write: one transaction
        existing = deps.history.generation_by_key(f"{job.run_id}:{job.node_id}:generate")
        if existing is not None:  # retried or redelivered: the work is done
            return _resume(deps, job, existing)
        if deps.history.run_info(job.run_id).finished_at is not None:  # cancelled, abandoned
            return record_failure(deps, job, CLOSED)
        spec = load_spec(deps, job.run_id, job.node_id)
        ihash = inputs_hash(spec, job.model, job.mode)
        last = deps.history.latest_generation(job.project_id, job.node_id, succeeded=True)
        if not job.force and last is not None and last.inputs_hash == ihash:
            deps.history.set_node(
                job.run_id, job.node_id, ServiceStatus.SKIPPED, deps.clock(), generation_id=last.id
            )
            return last.model_copy(update={"status": ServiceStatus.SKIPPED})
        deps.history.set_node(job.run_id, job.node_id, ServiceStatus.GENERATING, deps.clock())
    log.info("Generating code for service: %s", spec.name)
    started = time.monotonic()
    try:
        produced = produce_files(deps, job, spec)
    except CodegenError as exc:
        if exc.retryable:
            raise
        log.warning("Code generation failed for %s: %s", spec.name, exc.message)
        return record_failure(deps, job, exc)
    record = store_generation(deps, job, spec, produced, started)
    log.info("Code generation successful for %s (%d files)", spec.name, len(produced.files))
    deps.history.set_node(
        job.run_id, job.node_id, ServiceStatus.VALIDATING, deps.clock(), generation_id=record.id
    )
    return record


def store_generation(
    deps: Deps,
    job: NodeJob,
    spec: ServiceSpec,
    produced: Produced,
    started: float,
    key: str = "generate",
) -> GenerationRecord:
    """Write the bundle (files first, manifest last), then its history record. The record
    stays `validating` until validation and discovery finished: only then is it a success
    that a later run may skip to (see check.py)."""
    bundle = write_bundle(
        deps.store,
        job.project_id,
        job.node_id,
        produced.files,
        {"serviceName": spec.name, "model": produced.answered_model, "runId": job.run_id},
    )
    return _record(
        deps,
        job,
        spec.name,
        inputs_hash(spec, job.model, job.mode),
        ServiceStatus.VALIDATING,
        started,
        key,
        answered_model=produced.answered_model,
        prompt_hash=produced.prompt_hash,
        files=[
            FileEntry(path=f.path, sha256=f.sha256, size=f.size, source=produced.source(f.path))
            for f in produced.files
        ],
        bundle_uri=bundle.uri,
        cached=produced.cached,
        attempts=produced.attempts,
        prompt_tokens=produced.prompt_tokens,
        completion_tokens=produced.completion_tokens,
        cost_usd=produced.cost_usd,
    )
