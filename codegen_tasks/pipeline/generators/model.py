"""The model writes the bundle: `full` (in one answer) or `multi-step` (a file plan, then the
files). Answers are parsed and checked; an unusable one is re-asked with the problem."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codegen_tasks.adapters.cache.requests import evict
from codegen_tasks.adapters.storage.bundles import read_bundle
from codegen_tasks.checks.contracts.typetext import CalleeTypes, callee_types
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import ServiceStatus
from codegen_tasks.domain.spec import ServiceSpec, called_targets
from codegen_tasks.errors import ResponseFormatError
from codegen_tasks.generation.parsing import parse_files
from codegen_tasks.generation.plan import files_messages, parse_plan, plan_messages
from codegen_tasks.generation.prompts import (
    PROMPT_VERSION,
    fix_messages,
    generation_messages,
    repair_messages,
)
from codegen_tasks.pipeline.ask import CallContext, ask
from codegen_tasks.pipeline.generators.base import Generator, Produced
from codegen_tasks.pipeline.progress import StreamProgress
from codegen_tasks.platform import load_platform
from codegen_tasks.ports.llm import ChatMessage, CompletionRequest, request_hash

if TYPE_CHECKING:
    from codegen_tasks.pipeline.context import Deps
    from codegen_tasks.pipeline.jobs import NodeJob

FileCheck = Callable[[list[GeneratedFile]], None]


def completion_request(deps: Deps, job: NodeJob, messages: list[ChatMessage]) -> CompletionRequest:
    return CompletionRequest(
        model=job.model,
        messages=messages,
        temperature=deps.settings.temperature,
        max_tokens=deps.settings.max_tokens,
        prompt_version=job.generator.prompt_version,
        mode=job.mode,
    )


def ask_for_files(
    deps: Deps,
    job: NodeJob,
    base: list[ChatMessage],
    purpose: str = "generate",
    check: FileCheck | None = None,
) -> Produced:
    """Ask until the answer is a usable bundle, re-asking with the problem (bounded).
    `check` may reject a parsed bundle with a ResponseFormatError (re-asked likewise)."""
    request = completion_request(deps, job, base)
    produced = Produced(files=[], answered_model=job.model)
    progress = StreamProgress(deps, job.run_id, job.node_id) if job.stream else None
    fresh = job.no_cache
    while True:
        ctx = CallContext(job.run_id, job.project_id, job.node_id, job.user_id, purpose)
        chunks = progress.on_chunk if progress else None
        answer = ask(deps, request, ctx, on_chunk=chunks, fresh=fresh)
        completion = answer.completion
        produced.attempts += 1
        produced.cached = answer.cached
        produced.answered_model = completion.model
        produced.request_hash = request_hash(request)  # the call this answer was recorded as
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
            evict(deps.cache, request)  # never served again
            if answer.cached:  # unusable from the cache: the same question, to the model
                produced.attempts -= 1
                fresh = True
                continue
            if produced.attempts > deps.settings.repair_attempts:
                exc.message = f"{exc.message} (after {produced.attempts} attempts)"
                raise
            messages = repair_messages(
                base, completion.content, exc.message, truncated=exc.truncated
            )
            request, purpose = completion_request(deps, job, messages), "repair"
            fresh = job.no_cache


def callee_types_of(deps: Deps, job: NodeJob, spec: ServiceSpec) -> dict[str, CalleeTypes]:
    """The exact message types of the services `spec` calls, from each one's latest
    successful generation. A callee regenerated in the same run is left out (its contracts
    are about to change, and a run's prompts must not depend on the order its nodes finish
    in), as are callees not generated yet."""
    targets = called_targets(spec)
    if not targets:  # calls nobody: no need to read the run's nodes
        return {}
    callees = deps.history.run_nodes(job.run_id, [dep.node_id for dep in targets])
    in_run = {n.node_id: n.status for n in callees}
    found: dict[str, CalleeTypes] = {}
    for dep in targets:
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


def full_messages(deps: Deps, job: NodeJob, spec: ServiceSpec) -> list[ChatMessage]:
    platform = load_platform(deps.settings.platform_extra_packages)
    return generation_messages(spec, callee_types_of(deps, job, spec), platform)


@dataclass(frozen=True)
class ModelGenerator(Generator):
    """`full` and `multi-step`: the model writes every file."""

    @property
    def calls_model(self) -> bool:
        return True

    @property
    def prompt_version(self) -> str:
        return PROMPT_VERSION

    def produce(self, deps: Deps, job: NodeJob, spec: ServiceSpec) -> Produced:
        if self.mode is not GenerationMode.MULTI_STEP:
            return ask_for_files(deps, job, full_messages(deps, job, spec))
        request = completion_request(deps, job, plan_messages(spec))
        ctx = CallContext(job.run_id, job.project_id, job.node_id, job.user_id, "plan")
        answer = ask(deps, request, ctx, fresh=job.no_cache)
        plan = parse_plan(answer.completion.content)
        produced = ask_for_files(deps, job, files_messages(spec, plan))
        produced.count(answer)
        return produced

    def fix(
        self,
        deps: Deps,
        job: NodeJob,
        generation: GenerationRecord,
        spec: ServiceSpec,
        files: list[GeneratedFile],
        errors: list[str],
    ) -> Produced:
        """Both modes are fixed with the full prompt, the failed files and their errors."""
        messages = fix_messages(full_messages(deps, job, spec), files, errors)
        return ask_for_files(deps, job, messages, purpose="fix")
