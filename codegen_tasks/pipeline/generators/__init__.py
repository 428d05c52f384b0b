"""The generator of a request, chosen once from its model and mode (see base.Generator)."""

from __future__ import annotations

from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.generation.hybrid import HYBRID_PROMPT_VERSION
from codegen_tasks.generation.scaffold import BUILTIN_MODEL
from codegen_tasks.pipeline.generators.base import Generator, Produced
from codegen_tasks.pipeline.generators.hybrid import HybridGenerator
from codegen_tasks.pipeline.generators.model import ModelGenerator
from codegen_tasks.pipeline.generators.scaffold import ScaffoldGenerator
from codegen_tasks.settings import Settings

__all__ = [
    "Generator",
    "HybridGenerator",
    "ModelGenerator",
    "Produced",
    "ScaffoldGenerator",
    "choose_generator",
    "generator_of",
    "requested_model",
]


def choose_generator(model: str, mode: GenerationMode) -> Generator:
    """The one place a model name decides who writes the files: the built-in model gets the
    scaffold in every mode; a real model writes them as `mode` says."""
    if model == BUILTIN_MODEL:
        return ScaffoldGenerator(model, mode)
    if mode is GenerationMode.HYBRID:
        return HybridGenerator(model, mode)
    return ModelGenerator(model, mode)


def requested_model(ai_model: str | None, settings: Settings) -> str:
    """The model a request names, else OPENROUTER_DEFAULT_MODEL, else (no key) the built-in."""
    if ai_model:
        return ai_model
    return settings.openrouter_default_model if settings.has_llm_key else BUILTIN_MODEL


def generator_of(generation: GenerationRecord) -> Generator:
    """The generator of a recorded generation (feedback, reviews): hybrid generations by their
    prompt version; full and multi-step ones are fixed alike, with the full prompt."""
    hybrid = generation.prompt_version == HYBRID_PROMPT_VERSION
    return choose_generator(
        generation.model, GenerationMode.HYBRID if hybrid else GenerationMode.FULL
    )
