"""The skip rule, in one place: a node whose inputs are unchanged since its last successful
generation is not generated again (unless the request forces it); its earlier bundle stands.

Whole-project runs settle such nodes when they are planned, a single node's run when its
generate step starts, and `--estimate` counts them as free: all three ask `unchanged`.
"""

from __future__ import annotations

import hashlib
import json

from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generators import Generator


def inputs_hash(spec: ServiceSpec, generator: Generator) -> str:
    """Everything that shapes a node's output; unchanged hash → nothing to regenerate."""
    canonical = json.dumps(
        {
            "spec": spec.model_dump(mode="json"),
            "model": generator.model,
            "generator": generator.version,
        },
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def unchanged(
    deps: Deps, project_id: str, spec: ServiceSpec, generator: Generator
) -> GenerationRecord | None:
    """The node's last successful generation when its inputs are the same as now, else None."""
    last = deps.history.latest_generation(project_id, spec.node_id, succeeded=True)
    return last if _same_inputs(last, spec, generator) else None


def unchanged_of(
    deps: Deps, project_id: str, specs: list[ServiceSpec], generator: Generator
) -> dict[str, GenerationRecord]:
    """`unchanged` of several nodes, their last successes read in one query: node id → the
    generation that stands, for the unchanged ones only."""
    latest = deps.history.latest_successes(project_id, [s.node_id for s in specs])
    return {
        s.node_id: latest[s.node_id]
        for s in specs
        if _same_inputs(latest.get(s.node_id), s, generator)
    }


def _same_inputs(last: GenerationRecord | None, spec: ServiceSpec, generator: Generator) -> bool:
    return last is not None and last.inputs_hash == inputs_hash(spec, generator)
