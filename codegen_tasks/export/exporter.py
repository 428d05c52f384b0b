"""`codegen export`: merge the latest bundles of a project into a directory, per file.

base = the bundle last exported into DIR (named by `DIR/.codegen/export.json`), ours = the
files in DIR as the user left them, theirs = the latest successful bundle. Planning reads and
checks everything first; applying writes each file atomically and the record last.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from pydantic import Field

from codegen_tasks.adapters.storage.bundles import bundle_hash, read_bundle
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import ExportError, NotFoundError, StorageError
from codegen_tasks.export import merge, tree
from codegen_tasks.export.merge import FileChange, FileMerge
from codegen_tasks.export.record import (
    RECORD_PATH,
    ExportedService,
    ExportRecord,
    load_record,
    save_record,
    updated_record,
)
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.latest import latest_project, select_nodes


class ServiceExport(Message):
    node_id: str
    service_name: str
    path: str  # the service's folder (DIR/<service name>)
    run_id: str | None = None
    bundle_uri: str | None = None  # None: the generator dropped the service
    files: int = 0  # files in the new bundle
    changes: list[FileChange] = Field(default_factory=list)  # paths relative to DIR
    summary: dict[str, int] = Field(default_factory=dict)


class GitCommit(Message):
    branch: str
    commit: str | None  # None: the export changed nothing, the branch points at HEAD


class ExportReport(Message):
    project_id: str
    out: str
    dry_run: bool
    exported: list[ServiceExport] = Field(default_factory=list)
    conflicts: list[str] = Field(default_factory=list)  # paths relative to DIR
    git: GitCommit | None = None


@dataclass(frozen=True)
class NewBundle:
    """A service's latest bundle: what the record will say, and its files."""

    service: ExportedService
    files: list[GeneratedFile]


@dataclass(frozen=True)
class ServicePlan:
    export: ServiceExport
    merges: list[FileMerge]
    record: ExportedService | None  # None: dropped from the record


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _under(folder: str, files: list[GeneratedFile]) -> dict[str, str]:
    return {f"{folder}/{f.path}": f.content for f in files}


def base_files(
    d: Deps, previous: ExportedService | None, ours: dict[str, bytes | None]
) -> dict[str, str]:
    """The last exported bundle below its folder. If the store lost it, a file whose bytes
    still match the recorded hash is its own base; the others merge without a base."""
    if previous is None:
        return {}
    try:
        return _under(previous.folder, read_bundle(d.store, previous.bundle_uri))
    except (NotFoundError, StorageError) as exc:
        if exc.retryable:
            raise  # a storage blip, not a lost bundle
        base: dict[str, str] = {}
        for path, sha in previous.files.items():
            key = f"{previous.folder}/{path}"
            data = ours.get(key)
            if data is not None and _sha(data) == sha:
                base[key] = data.decode("utf-8", errors="replace")
        return base


def _plan(
    d: Deps,
    root: Path,
    out: Path,
    identity: tuple[str, str],
    previous: ExportedService | None,
    new: NewBundle | None,
) -> ServicePlan:
    node_id, name = identity
    theirs = _under(new.service.folder, new.files) if new else {}
    old_paths = {f"{previous.folder}/{p}" for p in previous.files} if previous else set()
    ours = tree.read_files(root, sorted(old_paths | set(theirs)))
    base = base_files(d, previous, ours)
    run_id = new.service.run_id if new else None
    label = f"{merge.THEIRS_LABEL} (run {run_id})" if run_id else merge.THEIRS_LABEL
    merges = merge.merge_trees(base, ours, theirs, theirs_label=label)
    export = ServiceExport(
        node_id=node_id,
        service_name=name,
        path=str(out / (new.service.folder if new else name)),
        run_id=run_id,
        bundle_uri=new.service.bundle_uri if new else None,
        files=len(new.files) if new else 0,
        changes=[m.change for m in merges],
        summary=merge.summary(merges),
    )
    return ServicePlan(export=export, merges=merges, record=new.service if new else None)


def _latest(d: Deps, project_id: str, node_id: str, name: str) -> NewBundle:
    generation = d.history.latest_generation(project_id, node_id, succeeded=True)
    if generation is None or generation.bundle_uri is None:
        raise NotFoundError(f"{name} has no successful generation to export")
    files = read_bundle(d.store, generation.bundle_uri)
    service = ExportedService(
        node_id=node_id,
        service_name=name,
        folder=name,
        run_id=generation.run_id,
        generation_id=generation.id,
        bundle_uri=generation.bundle_uri,
        bundle_hash=bundle_hash(files),
        files={f.path: f.sha256 for f in files},
    )
    return NewBundle(service=service, files=files)


def plan_export(
    d: Deps, project_id: str, out: Path, node: str | None, previous: ExportRecord | None
) -> list[ServicePlan]:
    """One plan per service of the project (or `node`), and one per service the graph lost."""
    root = out.resolve()
    graph = latest_project(d, project_id).graph
    if node is not None and any(node in (n.id, n.name) for n in graph.code_nodes()):
        node = select_nodes(graph, node)[0].id  # a node id or a service name
    plans: list[ServicePlan] = []
    current: set[str] = set()
    for code_node in graph.code_nodes():
        current.add(code_node.id)
        if node in (None, code_node.id):
            old = previous.service(code_node.id) if previous else None
            new = _latest(d, project_id, code_node.id, code_node.name)
            plans.append(_plan(d, root, out, (code_node.id, code_node.name), old, new))
    for old in previous.services if previous else []:
        if old.node_id not in current and node in (None, old.node_id):
            plans.append(_plan(d, root, out, (old.node_id, old.service_name), old, None))
    if node is not None and not plans:  # neither in the graph nor exported before
        select_nodes(graph, node)  # raises NotFoundError naming the graph's services
    return plans


def export_project(
    d: Deps, project_id: str, out: Path, *, node: str | None = None, dry_run: bool = False
) -> ExportReport:
    """Merge the latest bundles into `out`; with `dry_run` only say what would happen."""
    root = out.resolve()
    previous = load_record(root)
    if previous is not None and previous.project_id != project_id:
        raise ExportError(
            f"{out} holds an export of project {previous.project_id!r}, not {project_id!r}",
            path=RECORD_PATH,
        )
    plans = plan_export(d, project_id, out, node, previous)
    if not dry_run:
        for plan in plans:
            tree.apply_merges(root, plan.merges)
        exported = [p.record for p in plans if p.record is not None]
        dropped = [p.export.node_id for p in plans if p.record is None]
        save_record(root, updated_record(previous, project_id, exported, dropped, d.clock()))
    exports = [p.export for p in plans]
    return ExportReport(
        project_id=project_id,
        out=str(out),
        dry_run=dry_run,
        exported=exports,
        conflicts=merge.conflicts([m for p in plans for m in p.merges]),
    )
