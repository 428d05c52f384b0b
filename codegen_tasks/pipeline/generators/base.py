"""The Generator interface: who writes a node's files, and what that shapes downstream.

One implementation per way of writing a bundle (the built-in scaffold, the model in full or
multi-step mode, hybrid); `choose_generator` picks one from the model and the mode, once, and
the pipeline asks it instead of comparing model names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.records import FileSource, GenerationRecord
from codegen_tasks.domain.spec import ServiceSpec

if TYPE_CHECKING:
    from codegen_tasks.pipeline.ask import Answer
    from codegen_tasks.pipeline.context import Deps
    from codegen_tasks.pipeline.jobs import NodeJob


@dataclass
class Produced:
    files: list[GeneratedFile]
    answered_model: str
    request_hash: str | None = None  # the request whose answer the files are (llm_calls)
    cached: bool = False
    attempts: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model_paths: frozenset[str] | None = None  # the files the model wrote; None: all of them

    def source(self, path: str) -> FileSource:
        """Who wrote the file at `path`: the model or the built-in generator."""
        mine = self.model_paths is None or path in self.model_paths
        return "model" if mine else "builtin"

    def count(self, answer: Answer) -> None:
        """Add one answer's spend; a cached answer cost nothing this time."""
        usage = answer.completion.usage
        if not answer.cached:
            self.prompt_tokens += usage.prompt_tokens
            self.completion_tokens += usage.completion_tokens
        self.cost_usd += answer.cost_usd


@dataclass(frozen=True)
class Generator(ABC):
    model: str
    mode: GenerationMode

    @property
    @abstractmethod
    def calls_model(self) -> bool:
        """Whether it asks a model: reviews, feedback, keys and prices follow from this."""

    @property
    @abstractmethod
    def prompt_version(self) -> str:
        """The prompt version its generation records carry."""

    @property
    def version(self) -> str:
        """What shapes its output besides the spec and the model (the node's inputs hash)."""
        return self.prompt_version

    @abstractmethod
    def produce(self, deps: Deps, job: NodeJob, spec: ServiceSpec) -> Produced:
        """The node's files. ResponseFormatError when the model's answers stay unusable."""

    def fix(
        self,
        deps: Deps,
        job: NodeJob,
        generation: GenerationRecord,
        spec: ServiceSpec,
        files: list[GeneratedFile],
        errors: list[str],
    ) -> Produced | None:
        """A corrected bundle for `files`, which failed with `errors`; None: not fixable here."""
        return None
