"""One node's generation job, as the pipeline carries it from the run's plan to its steps.

Its generator is chosen once, from its model and mode (`choose_generator`); its wire form is
the `codegen.generate_service` payload, converted here both ways.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from codegen_tasks.api.payloads import GenerateServicePayload
from codegen_tasks.domain.modes import GenerationMode, resolve_mode
from codegen_tasks.pipeline.generators import Generator, choose_generator, requested_model
from codegen_tasks.settings import Settings

JSON = dict[str, Any]


@dataclass(frozen=True)
class NodeJob:
    project_id: str
    node_id: str
    run_id: str
    model: str
    force_regenerate: bool = False
    stream: bool = False
    no_cache: bool = False  # ask the model again, replacing cached answers
    user_id: str | None = None
    mode: GenerationMode = GenerationMode.FULL
    ai_review: bool = False
    service_name: str | None = None  # for operators (Flower's argument summaries)

    @cached_property
    def generator(self) -> Generator:
        """Who writes this node's files: chosen once, from the model and the mode."""
        return choose_generator(self.model, self.mode)

    def payload(self, metadata: JSON) -> JSON:
        """The job as the `codegen.generate_service` payload of its run (camelCase)."""
        return {
            "metadata": metadata,
            "projectId": self.project_id,
            "nodeId": self.node_id,
            "runId": self.run_id,
            "aiModel": self.model,
            "forceRegenerate": self.force_regenerate,
            "noCache": self.no_cache,
            "stream": self.stream,
            "mode": self.mode.value,
            "aiReview": self.ai_review,
        }

    @classmethod
    def of(cls, request: GenerateServicePayload, run_id: str, settings: Settings) -> NodeJob:
        """The job a `codegen.generate_service` payload of run `run_id` asks for."""
        return cls(
            project_id=request.project_id,
            node_id=request.node_id,
            run_id=run_id,
            model=requested_model(request.ai_model, settings),
            force_regenerate=request.force_regenerate,
            no_cache=request.no_cache,
            stream=request.stream,
            user_id=request.metadata.user_id,
            mode=resolve_mode(request.mode, request.multi_step, settings.generation_mode),
            ai_review=request.ai_review,
        )
