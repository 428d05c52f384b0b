"""Validation of service code on disk (`codegen validate --path DIR`): an edited export, or
any NestJS service. The same levels as for stored bundles, compiled in one batch; the
spec-driven ones (contract, health_check) use the stored graph node when the folder came
from an export, and are not run otherwise: the code alone implies no contract."""

from __future__ import annotations

from pathlib import Path

from codegen_tasks.adapters.storage.directory import read_folder, service_folders
from codegen_tasks.api.results import FolderValidation
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.static.dependencies import declared_packages
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel, ValidationResult
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.errors import CodegenError, ExportError, NotFoundError
from codegen_tasks.export.record import ExportedService, load_record
from codegen_tasks.generation.scaffold.naming import kebab
from codegen_tasks.pipeline.check import check_many, combine
from codegen_tasks.pipeline.context import Deps

SPEC_LEVELS = (ValidationLevel.CONTRACT, ValidationLevel.HEALTH_CHECK)
CODE_ONLY = (
    "no stored graph node for this folder (it is not an export): the contract and "
    "health_check levels were not run; the others judge what the code itself implies"
)


def _exported(folder: Path) -> tuple[str, ExportedService] | None:
    """The project and service an export wrote into `folder` (its record sits in the export
    directory: the folder itself or its parent)."""
    for root in (folder, folder.parent):
        try:
            record = load_record(root)
        except ExportError:
            continue
        if record is None:
            continue
        for service in record.services:
            if (root / service.folder).resolve() == folder.resolve():
                return record.project_id, service
    return None


def _stored_spec(deps: Deps, folder: Path) -> ServiceSpec | None:
    exported = _exported(folder)
    if exported is None:
        return None
    project_id, service = exported
    try:
        project = parse_graph(deps.history.latest_snapshot(project_id))
        return build_service_spec(project.graph, service.node_id, project.project.name)
    except (CodegenError, ValueError, KeyError):
        return None


def _name(folder: Path, files: list[GeneratedFile]) -> str:
    manifest = next((f.content for f in files if f.path == "package.json"), "")
    declared = declared_packages(manifest)
    name = declared[0] if declared is not None else None
    return kebab((name or folder.name).rsplit("/", 1)[-1]) or "service"


def implied_spec(name: str) -> ServiceSpec:
    """A spec that asks nothing of the code: no actions, no dependencies."""
    return ServiceSpec(
        project_name="",
        node_id="",
        name=name,
        kind="service",
        blueprint="custom",
        description="",
        actions=[],
        dependencies=[],
        dependants=[],
    )


def code_only(result: ValidationResult) -> ValidationResult:
    """The result without its spec-driven levels, saying why."""
    note = Finding(level=ValidationLevel.CONTRACT, message=CODE_ONLY)
    return result.model_copy(
        update={
            "contract_passed": None,
            "health_check_passed": None,
            "errors": [e for e in result.errors if e.level not in SPEC_LEVELS],
            "warnings": [note, *(w for w in result.warnings if w.level not in SPEC_LEVELS)],
        }
    )


def validate_directory(deps: Deps, root: Path, service_name: str | None) -> list[FolderValidation]:
    """One entry per service folder under `root` (or `root` itself): its validation."""
    folders = service_folders(root)
    limits = {"max_files": deps.settings.max_files, "max_file_bytes": deps.settings.max_file_bytes}
    bundles = {str(f): read_folder(f, **limits) for f in folders}
    names = {key: _name(Path(key), files) for key, files in bundles.items()}
    if service_name is not None:
        wanted = {k for k in bundles if service_name in (names[k], Path(k).name)}
        bundles = {k: v for k, v in bundles.items() if k in wanted}
        if not bundles:
            raise NotFoundError(f"no service named {service_name!r} under {root}")
    reports = deps.typescript.check_many(bundles) if deps.typescript is not None else {}
    stored = {key: _stored_spec(deps, Path(key)) for key in bundles}
    jobs = {key: (stored[key] or implied_spec(names[key]), files) for key, files in bundles.items()}
    exported = {k: job for k, job in jobs.items() if stored[k] is not None}
    code = {k: job for k, job in jobs.items() if stored[k] is None}
    bound = deps.settings.runtime_concurrency
    # run only what a stored node describes: the code alone implies no health pattern
    checked = check_many(deps.runtime, exported, reports, bound)
    checked.update(check_many(None, code, reports, bound))
    out: list[FolderValidation] = []
    for key, files in bundles.items():
        spec = stored[key]
        levels_spec = jobs[key][0]
        result = combine(levels_spec, files, reports.get(key), *checked[key])
        out.append(
            FolderValidation(
                path=key,
                service_name=levels_spec.name,
                source="export" if spec is not None else "code",
                node_id=spec.node_id if spec is not None else None,
                validation=result if spec is not None else code_only(result),
            )
        )
    return out
