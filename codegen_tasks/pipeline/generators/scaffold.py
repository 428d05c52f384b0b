"""The built-in offline generator: the scaffold, deterministic, no model asked."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.generation.prompts import PROMPT_VERSION
from codegen_tasks.generation.scaffold import SCAFFOLD_VERSION, render_service
from codegen_tasks.pipeline.generators.base import Generator, Produced

if TYPE_CHECKING:
    from codegen_tasks.pipeline.context import Deps
    from codegen_tasks.pipeline.jobs import NodeJob


@dataclass(frozen=True)
class ScaffoldGenerator(Generator):
    @property
    def calls_model(self) -> bool:
        return False

    @property
    def prompt_version(self) -> str:
        return PROMPT_VERSION

    @property
    def version(self) -> str:
        return SCAFFOLD_VERSION

    def produce(self, deps: Deps, job: NodeJob, spec: ServiceSpec) -> Produced:
        files = render_service(spec)
        return Produced(files=files, answered_model=self.model, attempts=1, model_paths=frozenset())
