"""Hybrid: the built-in skeleton, the model writes only the domain files (see
generation/hybrid.py for the rule of which paths are the model's)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.generation.hybrid import (
    HYBRID_PROMPT_VERSION,
    asks_model,
    check_answer,
    hybrid_messages,
    merge,
)
from codegen_tasks.generation.prompts import fix_messages
from codegen_tasks.generation.scaffold import BUILTIN_MODEL, render_service
from codegen_tasks.pipeline.generators.base import Generator, Produced
from codegen_tasks.pipeline.generators.model import ask_for_files, callee_types_of
from codegen_tasks.platform import load_platform
from codegen_tasks.ports.llm import ChatMessage

if TYPE_CHECKING:
    from codegen_tasks.pipeline.context import Deps
    from codegen_tasks.pipeline.jobs import NodeJob

Prompt = Callable[[list[ChatMessage]], list[ChatMessage]]


@dataclass(frozen=True)
class HybridGenerator(Generator):
    @property
    def calls_model(self) -> bool:
        return True

    @property
    def prompt_version(self) -> str:
        return HYBRID_PROMPT_VERSION

    def produce(self, deps: Deps, job: NodeJob, spec: ServiceSpec) -> Produced:
        skeleton = self._skeleton(deps, spec)
        if not asks_model(spec, skeleton):  # a gateway: the skeleton is the whole bundle
            return Produced(files=skeleton, answered_model=BUILTIN_MODEL, model_paths=frozenset())
        return self._ask(deps, job, spec, skeleton)

    def fix(
        self,
        deps: Deps,
        job: NodeJob,
        generation: GenerationRecord,
        spec: ServiceSpec,
        files: list[GeneratedFile],
        errors: list[str],
    ) -> Produced:
        """The model sees and fixes its own files only."""
        mine = {e.path for e in generation.files if e.source == "model"}
        answer = [f for f in files if f.path in mine]
        skeleton = self._skeleton(deps, spec)
        prompt: Prompt = lambda base: fix_messages(base, answer, errors)  # noqa: E731
        return self._ask(deps, job, spec, skeleton, prompt, "fix")

    @staticmethod
    def _skeleton(deps: Deps, spec: ServiceSpec) -> list[GeneratedFile]:
        return render_service(spec, load_platform(deps.settings.platform_extra_packages))

    @staticmethod
    def _ask(
        deps: Deps,
        job: NodeJob,
        spec: ServiceSpec,
        skeleton: list[GeneratedFile],
        prompt: Prompt | None = None,
        purpose: str = "generate",
    ) -> Produced:
        """The model's domain files (re-asked while it returns skeleton files) on the
        skeleton. `prompt` turns the hybrid prompt into the feedback loop's."""
        platform = load_platform(deps.settings.platform_extra_packages)
        base = hybrid_messages(spec, skeleton, callee_types_of(deps, job, spec), platform)
        messages = prompt(base) if prompt else base
        produced = ask_for_files(
            deps, job, messages, purpose, check=lambda files: check_answer(spec, skeleton, files)
        )
        produced.model_paths = frozenset(f.path for f in produced.files)
        produced.files = merge(skeleton, produced.files)
        return produced
