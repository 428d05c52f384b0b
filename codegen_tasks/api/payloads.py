"""Task payloads: the JSON a backend sends (camelCase)."""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, ConfigDict, Field

from codegen_tasks.api.payload_rules import ModelName, RunId, SafeId, UserId
from codegen_tasks.domain.modes import GenerationMode
from codegen_tasks.domain.wire import Message


class Metadata(Message):
    model_config = ConfigDict(populate_by_name=True, extra="allow")
    user_id: UserId | None = None


class ProjectPayload(Message):
    metadata: Metadata = Field(default_factory=Metadata)
    project_id: SafeId
    ai_model: ModelName | None = None


class GenerateProjectPayload(ProjectPayload):
    graph: dict[str, Any] | None = None
    force_regenerate: bool = False
    no_cache: bool = False  # ask the model again, replacing its cached answers
    stream: bool = False
    mode: GenerationMode | None = None  # absent: multiStep, else CODEGEN_GENERATION_MODE
    multi_step: bool = False  # an alias of mode=multi-step
    ai_review: bool = False  # an AI review adds warnings; AI describes the contracts
    run_id: RunId | None = None
    batch_id: RunId | None = None
    only_nodes: list[SafeId] | None = None


class GenerateServicePayload(ProjectPayload):
    node_id: SafeId
    force_regenerate: bool = False
    no_cache: bool = False
    stream: bool = False
    mode: GenerationMode | None = None
    multi_step: bool = False  # an alias of mode=multi-step
    ai_review: bool = False
    run_id: RunId | None = None

    def project_payload(self) -> GenerateProjectPayload:
        """Without `runId`, the node alone is a project run: the same request for it."""
        return GenerateProjectPayload(
            metadata=self.metadata,
            project_id=self.project_id,
            ai_model=self.ai_model,
            force_regenerate=self.force_regenerate,
            no_cache=self.no_cache,
            stream=self.stream,
            mode=self.mode,
            multi_step=self.multi_step,
            ai_review=self.ai_review,
            only_nodes=[self.node_id],
        )


class ValidatePayload(ProjectPayload):
    node_id: SafeId | None = None
    run_id: RunId | None = None
    ai_review: bool = False


class ContractsPayload(Message):
    metadata: Metadata = Field(default_factory=Metadata)
    project_id: SafeId
    node_id: SafeId
    run_id: RunId | None = None
    # AI descriptions of the contracts: the same `aiReview` as the other steps; `aiDescribe`,
    # its older name, is still accepted from backends that send it
    ai_review: bool = Field(default=False, validation_alias=AliasChoices("aiReview", "aiDescribe"))


class RegenerateProjectsPayload(Message):
    metadata: Metadata = Field(default_factory=Metadata)
    project_ids: list[SafeId] | None = None
    all: bool = False
    ai_model: ModelName | None = None
    force_regenerate: bool = False
    batch_id: RunId | None = None  # resume this batch


class MergeBundlePayload(Message):
    """`codegen.merge_bundle`: merge a user's bundle with the new one, base = what they started
    from. Every URI names a bundle of this project in the object store; `newBundleUri` absent
    → the node's latest successful generation."""

    metadata: Metadata = Field(default_factory=Metadata)
    project_id: SafeId
    node_id: SafeId
    base_bundle_uri: str
    user_bundle_uri: str
    new_bundle_uri: str | None = None
