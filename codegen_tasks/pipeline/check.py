"""Validation and contract discovery of stored bundles."""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

from codegen_tasks.adapters.storage.bundles import read_bundle
from codegen_tasks.checks.contracts import ContractLevels, contract_levels, discover_contracts
from codegen_tasks.checks.runtime.report import RuntimeReport
from codegen_tasks.checks.static.imports import platform_import_findings
from codegen_tasks.checks.static.structural import structural_check
from codegen_tasks.checks.static.typescript import TypeScriptReport
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.records import ContractsRecord, GenerationRecord, ValidationRecord
from codegen_tasks.domain.results import (
    Contract,
    Finding,
    ServiceStatus,
    ValidationLevel,
    ValidationResult,
)
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.pipeline.ask import CallContext
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.feedback import regenerate_with_errors
from codegen_tasks.pipeline.generate import load_spec
from codegen_tasks.pipeline.generators import generator_of
from codegen_tasks.pipeline.review import describe_contracts, with_review
from codegen_tasks.platform import Platform, load_platform, persistence_for
from codegen_tasks.ports.runtime import RuntimeCheck


def combine(
    spec: ServiceSpec,
    files: list[GeneratedFile],
    ts: TypeScriptReport | None,
    levels: ContractLevels | None = None,
    runtime: RuntimeReport | None = None,
    platform: Platform | None = None,
) -> ValidationResult:
    """The seven levels from the deterministic checks; a level not run stays None.
    health_check needs the static handler and, when the service was run, its live answer."""
    platform = platform or load_platform()
    checked = structural_check(files)
    imports = platform_import_findings(files, platform)
    # the platform rule speaks for an import the undeclared-package rule also flags
    located = {(f.file, f.line) for f in imports}
    structural = [*(f for f in checked.errors if (f.file, f.line) not in located), *imports]
    levels = levels or contract_levels(spec, files)
    warnings = [*checked.warnings, *levels.warnings, *_persistence_warnings(spec, platform)]
    ts_passed: bool | None = None
    build_passed: bool | None = None
    ts_errors: list[Finding] = []
    if ts is None:
        warnings.append(_skipped("TypeScript validation is disabled"))
    elif ts.skipped:
        warnings.append(_skipped(ts.skipped))
    else:
        ts = ts.without_echoes(structural)  # one finding per cause
        ts_passed, build_passed = not ts.typescript, not ts.build
        ts_errors = [*ts.typescript, *ts.build]
        warnings += ts.warnings
    health_passed, runtime_passed = levels.health_check_passed, None
    runtime_errors: list[Finding] = []
    if runtime is not None:
        health_passed = health_passed and runtime.health_passed is not False
        runtime_passed = runtime.runtime_passed
        runtime_errors = runtime.errors(handler_missing=not levels.health_check_passed)
        warnings += runtime.warnings
    return ValidationResult(
        structural_passed=not structural,
        contract_passed=levels.contract_passed,
        typescript_passed=ts_passed,
        build_passed=build_passed,
        health_check_passed=health_passed,
        contract_discovery_passed=levels.contract_discovery_passed,
        runtime_passed=runtime_passed,
        errors=[*structural, *ts_errors, *levels.errors, *runtime_errors],
        warnings=warnings,
    )


def _persistence_warnings(spec: ServiceSpec, platform: Platform) -> list[Finding]:
    """A DATABASE node whose ORM or kind is unknown gets the default one: said once here."""
    found: list[Finding] = []
    for dep in spec.dependencies:
        if dep.kind != "database":
            continue
        warning = persistence_for(platform, dep.database_type, dep.orm).warning
        if warning:
            message = f"database {dep.name!r} (node {dep.node_id}): {warning}"
            found.append(Finding(level=ValidationLevel.STRUCTURAL, message=message))
    return found


def _skipped(reason: str) -> Finding:
    return Finding(
        level=ValidationLevel.TYPESCRIPT, message=f"typescript and build levels skipped: {reason}"
    )


def validate_files(
    deps: Deps, spec: ServiceSpec, files: list[GeneratedFile]
) -> tuple[ValidationResult, list[Contract]]:
    """The validation result and the contracts its discovery found (kept, not redone)."""
    report = deps.typescript.check(files) if deps.typescript is not None else None
    levels = contract_levels(spec, files)
    runtime = run_check(deps.runtime, spec, files, report, levels)
    platform = load_platform(deps.settings.platform_extra_packages)
    result = combine(spec, files, report, levels, runtime, platform)
    return result, levels.contracts.contracts


def run_check(
    checker: RuntimeCheck | None,
    spec: ServiceSpec,
    files: list[GeneratedFile],
    ts: TypeScriptReport | None,
    levels: ContractLevels,
) -> RuntimeReport | None:
    """The runtime check, for bundles that built; None when it is off or cannot apply."""
    if checker is None or ts is None or ts.build_passed is not True:
        return None
    return checker.check(spec, files, levels.contracts.contracts, ts.javascript)


def check_many(
    checker: RuntimeCheck | None,
    bundles: Mapping[str, tuple[ServiceSpec, list[GeneratedFile]]],
    reports: Mapping[str, TypeScriptReport],
    concurrency: int,
) -> dict[str, tuple[ContractLevels, RuntimeReport | None]]:
    """Contract levels and runtime checks of several bundles, booted in parallel up to
    CODEGEN_RUNTIME_CONCURRENCY at a time."""

    def one(key: str) -> tuple[ContractLevels, RuntimeReport | None]:
        spec, files = bundles[key]
        levels = contract_levels(spec, files)
        return levels, run_check(checker, spec, files, reports.get(key), levels)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        return dict(zip(bundles, pool.map(one, bundles), strict=True))


def summary(result: ValidationResult) -> str:
    first = result.errors[0] if result.errors else None
    where = f" ({first.file}:{first.line})" if first and first.file else ""
    text = f"validation failed: {len(result.errors)} error(s)"
    return text + (f"; first [{first.level.value}] {first.message}{where}" if first else "")


def _run_generation(
    deps: Deps, run_id: str, node_id: str
) -> tuple[ServiceStatus, GenerationRecord | None]:
    node, generation = deps.history.node_generation(run_id, node_id)
    return node.status, generation


def _record_validation(
    deps: Deps,
    run_id: str,
    generation: GenerationRecord,
    checked: tuple[ValidationResult, list[Contract]],
    key: str,
) -> None:
    result, contracts = checked
    deps.history.record_contracts(
        ContractsRecord(
            generation_id=generation.id, node_id=generation.node_id, contracts=contracts
        )
    )
    deps.history.record_validation(
        ValidationRecord(
            id=deps.ids(),
            idempotency_key=f"{run_id}:{generation.node_id}:{key}",
            generation_id=generation.id,
            run_id=run_id,
            node_id=generation.node_id,
            result=result,
            created_at=deps.clock(),
        )
    )
    if not result.passed:
        deps.history.update_generation(generation.id, ServiceStatus.FAILED, summary(result))


def validate_in_run(
    deps: Deps, run_id: str, node_id: str, *, ai_review: bool = False
) -> ValidationResult | None:
    """Validate a node's fresh bundle in a run. Failing model output gets the feedback loop
    (regenerated with the errors, bounded); a final failure marks the node failed. The
    optional AI review only adds warnings."""
    with deps.history.transaction():
        status, generation = _run_generation(deps, run_id, node_id)
        if generation is None or generation.bundle_uri is None:
            return None
        if status is not ServiceStatus.VALIDATING:  # skipped, or done by an earlier delivery
            return deps.history.validation_for(generation.id)
        spec = load_spec(deps, run_id, node_id)
    files = read_bundle(deps.store, generation.bundle_uri)
    result, contracts = validate_files(deps, spec, files)
    final = ai_review is False and (result.passed or deps.settings.feedback_attempts == 0)
    with deps.history.transaction():  # the usual case: the step's writes in one transaction
        _record_validation(deps, run_id, generation, (result, contracts), "validate")
        if final:
            _settle(deps, run_id, node_id, result)
            return result
    for attempt in range(1, deps.settings.feedback_attempts + 1):
        if result.passed:
            break
        fixed = regenerate_with_errors(deps, generation, spec, files, result, attempt)
        if fixed is None:
            break
        generation, files = fixed
        deps.history.set_node(
            run_id, node_id, ServiceStatus.VALIDATING, deps.clock(), generation_id=generation.id
        )
        result, contracts = validate_files(deps, spec, files)
        _record_validation(deps, run_id, generation, (result, contracts), f"validate:fix{attempt}")
    if ai_review:
        ctx = CallContext(run_id, generation.project_id, node_id, generation.user_id, "review")
        result = with_review(deps, ctx, generator_of(generation), spec.name, files, result)
        _record_validation(deps, run_id, generation, (result, contracts), "validate:review")
    _settle(deps, run_id, node_id, result)
    return result


def _settle(deps: Deps, run_id: str, node_id: str, result: ValidationResult) -> None:
    """The node after its validation: on to discovery, or failed."""
    if result.passed:
        deps.history.set_node(run_id, node_id, ServiceStatus.DISCOVERING, deps.clock())
    else:
        deps.history.set_node(
            run_id, node_id, ServiceStatus.FAILED, deps.clock(), error=summary(result)
        )


def discover_in_run(
    deps: Deps, run_id: str, node_id: str, *, ai_review: bool = False
) -> list[Contract]:
    """The node's contracts, as validation discovered them (discovered here when validation
    stored none), AI descriptions added on request; the node succeeds if nothing failed."""
    with deps.history.transaction():  # the usual case: the whole step in one transaction
        status, generation = _run_generation(deps, run_id, node_id)
        if generation is None or generation.bundle_uri is None:
            return []
        stored = deps.history.contracts_for(generation.id)
        done = status in (ServiceStatus.SKIPPED, ServiceStatus.SUCCEEDED)
        if done or (stored and not ai_review):
            if status is ServiceStatus.DISCOVERING:
                _succeed(deps, run_id, generation)
            return stored
    files = read_bundle(deps.store, generation.bundle_uri)
    contracts = stored or discover_contracts(files).contracts
    if ai_review:
        ctx = CallContext(run_id, generation.project_id, node_id, generation.user_id, "discover")
        generator, name = generator_of(generation), generation.service_name
        contracts = describe_contracts(deps, ctx, generator, name, files, contracts)
    deps.history.record_contracts(
        ContractsRecord(generation_id=generation.id, node_id=node_id, contracts=contracts)
    )
    if status is ServiceStatus.DISCOVERING:
        _succeed(deps, run_id, generation)
    return contracts


def _succeed(deps: Deps, run_id: str, generation: GenerationRecord) -> None:
    """The node's last step is done: its generation becomes a success, then the node."""
    deps.history.update_generation(generation.id, ServiceStatus.SUCCEEDED)
    deps.history.set_node(run_id, generation.node_id, ServiceStatus.SUCCEEDED, deps.clock())
