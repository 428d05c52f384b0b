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
    if last is None or last.inputs_hash != inputs_hash(spec, generator):
        return None
    return last
