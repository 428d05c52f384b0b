"""Generation of one service node: skip it when unchanged, else ask its generator, store the
bundle and its history record."""

from __future__ import annotations

import logging
import time

from codegen_tasks.adapters.storage.bundles import write_bundle
from codegen_tasks.domain.records import FileEntry, GenerationRecord
from codegen_tasks.domain.results import ServiceStatus
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.errors import CodegenError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generators import Produced
from codegen_tasks.pipeline.jobs import NodeJob
from codegen_tasks.pipeline.snapshots import snapshot_project
from codegen_tasks.pipeline.unchanged import inputs_hash, unchanged

log = logging.getLogger("codegen_tasks.pipeline")
CLOSED = "the run was closed before this node started"


def load_spec(deps: Deps, run_id: str, node_id: str) -> ServiceSpec:
    project = snapshot_project(deps, deps.history.run_snapshot_id(run_id))
    return build_service_spec(project.graph, node_id, project.project.name)


def generation_key(job: NodeJob, step: str = "generate") -> str:
    """The idempotency key of the job's generation (`generate`, or a feedback attempt's)."""
    return f"{job.run_id}:{job.node_id}:{step}"


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
            "idempotency_key": generation_key(job, key),
            "run_id": job.run_id,
            "project_id": job.project_id,
            "node_id": job.node_id,
            "service_name": spec_name,
            "status": status,
            "model": job.model,
            "prompt_version": job.generator.prompt_version,
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
        name, ihash = spec.name, inputs_hash(spec, job.generator)
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
        existing = deps.history.generation_by_key(generation_key(job))
        if existing is not None:  # retried or redelivered: the work is done
            return _resume(deps, job, existing)
        if deps.history.run_info(job.run_id).finished_at is not None:  # cancelled, abandoned
            return record_failure(deps, job, CLOSED)
        spec = load_spec(deps, job.run_id, job.node_id)
        last = (
            None if job.force_regenerate else unchanged(deps, job.project_id, spec, job.generator)
        )
        if last is not None:
            deps.history.set_node(
                job.run_id, job.node_id, ServiceStatus.SKIPPED, deps.clock(), generation_id=last.id
            )
            return last.model_copy(update={"status": ServiceStatus.SKIPPED})
        deps.history.set_node(job.run_id, job.node_id, ServiceStatus.GENERATING, deps.clock())
    log.info("Generating code for service: %s", spec.name)
    started = time.monotonic()
    try:
        produced = job.generator.produce(deps, job, spec)
    except CodegenError as exc:
        if exc.retryable:
            raise
        log.warning("Code generation failed for %s: %s", spec.name, exc.message)
        return record_failure(deps, job, exc)
    with deps.history.transaction():  # the record and the node pointing at it: one commit
        record = store_generation(deps, job, spec, produced, started)
        deps.history.set_node(
            job.run_id, job.node_id, ServiceStatus.VALIDATING, deps.clock(), generation_id=record.id
        )
    log.info("Code generation successful for %s (%d files)", spec.name, len(produced.files))
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
        inputs_hash(spec, job.generator),
        ServiceStatus.VALIDATING,
        started,
        key,
        answered_model=produced.answered_model,
        request_hash=produced.request_hash,
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
