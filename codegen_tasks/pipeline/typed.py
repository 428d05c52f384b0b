"""The project-wide typed contract check of a run, when it closes: every caller generated in
the run against the handlers of the run's bundles (fresh or unchanged), compiled as one batch
with the type-level module of `contracts.compat`. A mismatch is a contract error on the
caller's validation, and the caller fails like any failed deterministic check. Embedded runs
compile it with their last wave's batch (`typed_job`), and the close takes that answer."""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.adapters.storage.bundles import read_bundle
from codegen_tasks.checks.contracts import discover
from codegen_tasks.checks.contracts.compat import (
    ServiceBundle,
    TypedContracts,
    apply_typed,
    plan_checks,
)
from codegen_tasks.checks.static.extra import ExtraJob, ExtraReport
from codegen_tasks.domain.records import GenerationRecord, ValidationRecord
from codegen_tasks.domain.results import ServiceStatus, ValidationResult
from codegen_tasks.pipeline.check import summary
from codegen_tasks.pipeline.context import Deps

SETTLED = (ServiceStatus.SUCCEEDED, ServiceStatus.SKIPPED)
# Nodes past their generation that may still succeed, when the check is compiled ahead
UNDER_WAY = (*SETTLED, ServiceStatus.VALIDATING, ServiceStatus.DISCOVERING)


@dataclass
class _Inputs:
    generations: dict[str, GenerationRecord]
    bundles: list[ServiceBundle]
    fresh: set[str]  # nodes generated in this run (the callers checked)
    plan: TypedContracts

    def job(self) -> ExtraJob:
        return {b.key: b.files for b in self.bundles}, self.plan.sources

    def compile(self, deps: Deps) -> ExtraReport:
        assert deps.typescript is not None
        return deps.typescript.check_extra(*self.job())


def _inputs(
    deps: Deps, run_id: str, statuses: tuple[ServiceStatus, ...] = SETTLED
) -> _Inputs | None:
    """The run's bundles in `statuses` and their plan; None when no fresh caller is checked."""
    if deps.typescript is None:
        return None
    generations: dict[str, GenerationRecord] = {}
    bundles: list[ServiceBundle] = []
    fresh: set[str] = set()
    for node in deps.history.run_nodes(run_id):
        if node.status not in statuses or node.generation_id is None:
            continue
        generation = deps.history.generation(node.generation_id)
        if generation.bundle_uri is None:
            continue
        files = read_bundle(deps.store, generation.bundle_uri)
        generations[node.node_id] = generation
        bundles.append(ServiceBundle(node.node_id, node.service_name, files, discover(files)))
        if node.status is not ServiceStatus.SKIPPED:
            fresh.add(node.node_id)
    plan = plan_checks(bundles)
    if not any(c.caller.key in fresh for c in plan.checks):
        return None
    return _Inputs(generations, bundles, fresh, plan)


def typed_job(deps: Deps, run_id: str) -> ExtraJob | None:
    """The run's check over the nodes generated and not failed so far (those may all still
    succeed): what to compile ahead of the close, which gets the answer from a checker that
    keeps it (an embedded run's) when those nodes all succeed."""
    inputs = _inputs(deps, run_id, UNDER_WAY)
    return None if inputs is None else inputs.job()


def typed_check_in_run(deps: Deps, run_id: str) -> None:
    """Add the typed mismatches of the run's fresh callers to their validation (idempotent)."""
    inputs = _inputs(deps, run_id)
    if inputs is None:
        return
    extra, generations, fresh = inputs.compile(deps), inputs.generations, inputs.fresh
    for key, found in inputs.plan.findings(extra.diagnostics, extra.skipped).items():
        if key not in fresh or not (found.errors or found.warnings):
            continue
        generation = generations[key]
        result = apply_typed(
            deps.history.validation_for(generation.id) or ValidationResult(), found
        )
        deps.history.record_validation(
            ValidationRecord(
                id=deps.ids(),
                idempotency_key=f"{run_id}:{key}:typed-contracts",
                generation_id=generation.id,
                run_id=run_id,
                node_id=key,
                result=result,
                created_at=deps.clock(),
            )
        )
        if found.errors:
            deps.history.update_generation(generation.id, ServiceStatus.FAILED, summary(result))
            deps.history.set_node(
                run_id, key, ServiceStatus.FAILED, deps.clock(), error=summary(result)
            )
