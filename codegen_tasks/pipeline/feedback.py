"""The feedback loop: model output that fails validation is regenerated once with the
compiler's and validator's errors in the prompt, as a new recorded attempt."""

from __future__ import annotations

import time

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import ValidationResult
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.errors import ResponseFormatError
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generate import store_generation
from codegen_tasks.pipeline.generators import generator_of
from codegen_tasks.pipeline.jobs import NodeJob

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
    """A corrected bundle from the generation's generator, stored as attempt `attempt`;
    None when it cannot fix (the built-in one) or the answer is unusable (the original
    failure then stands)."""
    generator = generator_of(generation)
    if not generator.calls_model or generation.run_id is None:
        return None
    job = NodeJob(
        project_id=generation.project_id,
        node_id=generation.node_id,
        run_id=generation.run_id,
        model=generation.model,
        user_id=generation.user_id,
        mode=generator.mode,
    )
    started = time.monotonic()
    try:
        produced = job.generator.fix(deps, job, generation, spec, files, error_lines(result))
    except ResponseFormatError:
        return None
    if produced is None:
        return None
    produced.attempts += generation.attempts
    record = store_generation(deps, job, spec, produced, started, key=f"generate:fix{attempt}")
    return record, produced.files
