"""The breaking-change report of a run: each regenerated service's contracts against its last
successful ones (see `contracts.breaking`), computed once when the run closes."""

from __future__ import annotations

from codegen_tasks.adapters.storage.bundles import read_bundle
from codegen_tasks.checks.contracts.breaking import (
    OLD_SUFFIX,
    pattern_changes,
    type_changes,
    type_checks,
)
from codegen_tasks.checks.contracts.compat import ServiceBundle, TypedContracts
from codegen_tasks.checks.contracts.discovery import DiscoveryReport
from codegen_tasks.domain.records import GenerationRecord
from codegen_tasks.domain.results import BreakingChange, ServiceStatus
from codegen_tasks.pipeline.context import Deps


def _pairs(deps: Deps, run_id: str) -> list[tuple[GenerationRecord, GenerationRecord]]:
    """(last success before the run, this run's generation) of each regenerated node."""
    project_id = deps.history.run_info(run_id).project_id
    pairs: list[tuple[GenerationRecord, GenerationRecord]] = []
    nodes = [
        n
        for n in deps.history.run_nodes(run_id)
        if n.status is ServiceStatus.SUCCEEDED and n.generation_id is not None
    ]
    stored = deps.history.generations([n.generation_id for n in nodes if n.generation_id])
    fresh = [
        stored.get(n.generation_id) or deps.history.generation(n.generation_id)
        for n in nodes
        if n.generation_id is not None
    ]
    before = deps.history.successes_before(project_id, fresh)
    for new in fresh:
        old = before.get(new.node_id)
        if old is not None and old.bundle_uri and new.bundle_uri and old.id != new.id:
            pairs.append((old, new))
    return pairs


def _bundle(deps: Deps, generation: GenerationRecord, key: str, name: str) -> ServiceBundle:
    files = read_bundle(deps.store, generation.bundle_uri or "")
    contracts = deps.history.contracts_for(generation.id)
    return ServiceBundle(key, name, files, DiscoveryReport(contracts=contracts))


def breaking_in_run(deps: Deps, run_id: str) -> list[BreakingChange]:
    """Pattern-level changes always; type-level ones when the compiler is available."""
    changes: list[BreakingChange] = []
    plan = TypedContracts()
    bundles: dict[str, ServiceBundle] = {}
    for old, new in _pairs(deps, run_id):
        before, after = deps.history.contracts_for(old.id), deps.history.contracts_for(new.id)
        changes += pattern_changes(new.node_id, new.service_name, before, after)
        if deps.typescript is None or old.bundle_uri == new.bundle_uri:
            continue
        was = _bundle(deps, old, new.node_id + OLD_SUFFIX, f"{new.service_name}{OLD_SUFFIX}")
        now = _bundle(deps, new, new.node_id, new.service_name)
        bundles |= {was.key: was, now.key: now}
        plan.checks.extend(type_checks(was, now).checks)
    if deps.typescript is not None and plan.checks:
        extra = deps.typescript.check_extra({k: b.files for k, b in bundles.items()}, plan.sources)
        changes += type_changes(plan, extra.diagnostics)
    return changes


def report_breaking(deps: Deps, run_id: str) -> list[BreakingChange]:
    """Compute and store the run's report once (a redelivered close keeps the first one);
    with `CODEGEN_FAIL_ON_BREAKING` the services with breaking changes fail."""
    stored = deps.history.breaking_changes(run_id)
    if stored is not None:
        return stored
    changes = breaking_in_run(deps, run_id)
    if deps.settings.fail_on_breaking:
        for node_id in dict.fromkeys(c.node_id for c in changes):
            first = next(c for c in changes if c.node_id == node_id)
            count = sum(c.node_id == node_id for c in changes)
            error = f"{count} breaking contract change(s); first: {first.message}"
            deps.history.set_node(run_id, node_id, ServiceStatus.FAILED, deps.clock(), error=error)
    deps.history.set_breaking_changes(run_id, changes)
    return changes
