"""Generation modes: who writes which files of a service bundle."""

from __future__ import annotations

from enum import StrEnum


class GenerationMode(StrEnum):
    FULL = "full"  # the model writes the whole bundle
    MULTI_STEP = "multi-step"  # the model plans the files, then writes them
    HYBRID = "hybrid"  # the built-in generator writes the skeleton, the model the domain files


def resolve_mode(
    mode: GenerationMode | None, multi_step: bool, default: GenerationMode
) -> GenerationMode:
    """The mode a request asks for: `mode`, else `multiStep` (its older alias), else the
    configured default."""
    if mode is not None:
        return mode
    return GenerationMode.MULTI_STEP if multi_step else default
