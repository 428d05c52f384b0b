"""The feedback loop: model output that fails validation is regenerated once with the
compiler's and validator's errors in the prompt, as a new recorded attempt."""

from __future__ import annotations

import time

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import ValidationResult
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.errors import ResponseFormatError
from codegen_tasks.generation.hybrid import HYBRID_PROMPT_VERSION
from codegen_tasks.generation.prompts import fix_messages, generation_messages
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import (
    NodeJob,
    Produced,
    ask_for_files,
    ask_hybrid,
    callee_types_of,
    store_generation,
)
from codegen_tasks.platform import load_platform
from codegen_tasks.settings import BUILTIN_MODEL

MAX_ERRORS_QUOTED = 40


def error_lines(result: ValidationResult) -> list[str]:
    """The errors as the model should read them: level, place, message."""
    lines = []
    for finding in result.errors[:MAX_ERRORS_QUOTED]:
        where = f" {finding.file}:{finding.line}" if finding.file else ""
        lines.append(f"[{finding.level.value}]{where} {finding.message}")
    return lines


def regenerate_with_errors(
    deps: Deps,
    generation: GenerationRecord,
    spec: ServiceSpec,
    files: list[GeneratedFile],
    result: ValidationResult,
    attempt: int,
) -> tuple[GenerationRecord, list[GeneratedFile]] | None:
    """A corrected bundle from the model, stored as attempt `attempt`; None when the model's
    answer is unusable (the original failure then stands)."""
    if generation.model == BUILTIN_MODEL or generation.run_id is None:
        return None
    job = NodeJob(
        project_id=generation.project_id,
        node_id=generation.node_id,
        run_id=generation.run_id,
        model=generation.model,
        user_id=generation.user_id,
        mode=_mode_of(generation),
    )
    started = time.monotonic()
    try:
        produced = _ask_fix(deps, job, generation, spec, files, error_lines(result))
    except ResponseFormatError:
        return None
    produced.attempts += generation.attempts
    record = store_generation(deps, job, spec, produced, started, key=f"generate:fix{attempt}")
    return record, produced.files


def _mode_of(generation: GenerationRecord) -> GenerationMode:
    """Hybrid generations are fixed in hybrid mode; the others with the full prompt."""
    hybrid = generation.prompt_version == HYBRID_PROMPT_VERSION
    return GenerationMode.HYBRID if hybrid else GenerationMode.FULL


def _ask_fix(
    deps: Deps,
    job: NodeJob,
    generation: GenerationRecord,
    spec: ServiceSpec,
    files: list[GeneratedFile],
    errors: list[str],
) -> Produced:
    platform = load_platform(deps.settings.platform_extra_packages)
    if job.mode is GenerationMode.HYBRID:  # the model sees and fixes its own files only
        mine = {e.path for e in generation.files if e.source == "model"}
        answer = [f for f in files if f.path in mine]
        skeleton = render_service(spec, platform)
        return ask_hybrid(
            deps, job, spec, skeleton, lambda base: fix_messages(base, answer, errors), "fix"
        )
    base = generation_messages(spec, callee_types_of(deps, job, spec), platform)
    return ask_for_files(deps, job, fix_messages(base, files, errors), purpose="fix")
