"""`codegen.merge_bundle`: the export's per-file merge between bundles, for a web UI.

base = the bundle the user started from, ours = the user's bundle (e.g. uploaded to the object
store with `write_bundle`), theirs = the new bundle. The merged tree is stored as a bundle of
its own; files only the user has are kept as they are.
"""

from __future__ import annotations

from codegen_tasks.adapters import keys
from codegen_tasks.adapters.storage.bundles import read_bundle, write_bundle
from codegen_tasks.api.payloads import MergeBundlePayload
from codegen_tasks.api.results import MergeBundleResult
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.errors import NotFoundError, PayloadError
from codegen_tasks.export import merge
from codegen_tasks.export.merge import FileMerge
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.ports.storage import key_from_uri

MERGE_KIND = "merge"


def merged_files(ours: dict[str, str], merges: list[FileMerge]) -> list[GeneratedFile]:
    """The user's tree with every merge decision applied."""
    tree = dict(ours)
    for m in merges:
        if m.delete:
            tree.pop(m.change.path, None)
        elif m.content is not None:
            tree[m.change.path] = m.content
    return [GeneratedFile(path=path, content=content) for path, content in sorted(tree.items())]


def _project_bundle(d: Deps, project_id: str, uri: str, what: str) -> dict[str, str]:
    if not key_from_uri(d.store, uri).startswith(keys.project_prefix(project_id)):
        raise PayloadError(f"{what} {uri!r} is not a bundle of project {project_id!r}")
    return {f.path: f.content for f in read_bundle(d.store, uri)}


def _new_uri(d: Deps, request: MergeBundlePayload) -> str:
    if request.new_bundle_uri is not None:
        return request.new_bundle_uri
    generation = d.history.latest_generation(request.project_id, request.node_id, succeeded=True)
    if generation is None or generation.bundle_uri is None:
        raise NotFoundError(f"node {request.node_id!r} has no successful generation to merge")
    return generation.bundle_uri


def merge_bundles(d: Deps, request: MergeBundlePayload) -> MergeBundleResult:
    project = request.project_id
    new_uri = _new_uri(d, request)
    base = _project_bundle(d, project, request.base_bundle_uri, "baseBundleUri")
    ours = _project_bundle(d, project, request.user_bundle_uri, "userBundleUri")
    theirs = _project_bundle(d, project, new_uri, "newBundleUri")
    found = {path: content.encode("utf-8") for path, content in ours.items()}
    merges = merge.merge_trees(base, found, theirs)
    conflicts = merge.conflicts(merges)
    meta = {
        "kind": MERGE_KIND,
        "baseBundleUri": request.base_bundle_uri,
        "userBundleUri": request.user_bundle_uri,
        "newBundleUri": new_uri,
        "conflicts": conflicts,
    }
    ref = write_bundle(d.store, project, request.node_id, merged_files(ours, merges), meta)
    return MergeBundleResult(
        project_id=project,
        node_id=request.node_id,
        bundle_uri=ref.uri,
        bundle_hash=ref.bundle_hash,
        base_bundle_uri=request.base_bundle_uri,
        user_bundle_uri=request.user_bundle_uri,
        new_bundle_uri=new_uri,
        clean=not conflicts,
        conflicts=conflicts,
        changes=[m.change for m in merges],
        summary=merge.summary(merges),
    )
