"""File bundles in object storage: content-addressed, each file first, the manifest last."""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from codegen_tasks.adapters import keys
from codegen_tasks.adapters.storage.local import inside, write_atomic
from codegen_tasks.domain.files import GeneratedFile, check_path
from codegen_tasks.domain.safety import id_problem
from codegen_tasks.errors import NotFoundError, ResponseFormatError, StorageError
from codegen_tasks.ports.storage import ObjectStore, StoredObject, key_from_uri

log = logging.getLogger(__name__)

MANIFEST_VERSION = 1
JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"


class ManifestEntry(BaseModel):
    path: str
    sha256: str
    size: int


class Manifest(BaseModel):
    version: int = MANIFEST_VERSION
    bundle_hash: str
    project_id: str
    node_id: str
    created: datetime
    files: list[ManifestEntry]
    meta: dict[str, Any] = Field(default_factory=dict)


class BundleRef(BaseModel):
    uri: str
    prefix: str
    bundle_hash: str
    files: int
    bytes: int


def bundle_hash(files: list[GeneratedFile]) -> str:
    """sha256 over every (path, content sha256) pair in path order."""
    pairs = sorted((file.path, file.sha256) for file in files)
    return hashlib.sha256(json.dumps(pairs, separators=(",", ":")).encode()).hexdigest()


def _safe_id(value: str, what: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise StorageError(f"refused {what} {value!r} in a bundle key: {problem}", retryable=False)
    return value


def _checked(files: list[GeneratedFile]) -> list[GeneratedFile]:
    """Every path checked before anything is written; duplicates refused. A file whose path
    is normal already is kept (its bytes and hash are computed once)."""
    checked = [file.at(check_path(file.path)) for file in files]
    paths = [file.path for file in checked]
    if len(set(paths)) != len(paths):
        raise ResponseFormatError("the bundle contains the same path twice")
    return sorted(checked, key=lambda file: file.path)


def _file_key(prefix: str, path: str) -> str:
    key = keys.bundle_file_key(prefix, check_path(path))
    if not key.startswith(keys.bundle_files_prefix(prefix)):
        raise StorageError(f"file {path!r} would leave the bundle", key=key, retryable=False)
    return key


def _content_type(path: str) -> str:
    return JSON_TYPE if path.endswith(".json") else TEXT_TYPE


def _ref(store: ObjectStore, prefix: str, manifest: Manifest) -> BundleRef:
    return BundleRef(
        uri=store.uri(prefix),
        prefix=prefix,
        bundle_hash=manifest.bundle_hash,
        files=len(manifest.files),
        bytes=sum(entry.size for entry in manifest.files),
    )


def write_bundle(
    store: ObjectStore,
    project_id: str,
    node_id: str,
    files: list[GeneratedFile],
    meta: dict[str, Any],
) -> BundleRef:
    """Store `files` under a content-addressed prefix; the manifest is written last.

    Writing the same files again is harmless: a bundle whose manifest exists is skipped.
    """
    checked = _checked(files)
    digest = bundle_hash(checked)
    prefix = keys.bundle_prefix(
        _safe_id(project_id, "project id"), _safe_id(node_id, "node id"), digest
    )
    manifest_key = keys.manifest_key(prefix)
    if store.exists(manifest_key):
        log.info("bundle %s already stored; skipping", prefix)
        return _ref(store, prefix, _load_manifest(store, prefix))
    entries = [ManifestEntry(path=f.path, sha256=f.sha256, size=f.size) for f in checked]
    file_keys = [_file_key(prefix, file.path) for file in checked]
    store.put_many(
        [
            StoredObject(key, file.data, _content_type(file.path))
            for key, file in zip(file_keys, checked, strict=True)
        ]
    )
    manifest = Manifest(
        bundle_hash=digest,
        project_id=project_id,
        node_id=node_id,
        created=datetime.now(UTC),
        files=entries,
        meta=meta,
    )
    store.put(manifest_key, manifest.model_dump_json(indent=2).encode("utf-8"), JSON_TYPE)
    log.info("stored bundle %s (%d files)", prefix, len(checked))
    return _ref(store, prefix, manifest)


def _load_manifest(store: ObjectStore, prefix: str) -> Manifest:
    try:
        raw = store.get(keys.manifest_key(prefix))
    except NotFoundError as exc:
        raise NotFoundError(f"bundle {prefix!r} is incomplete or missing (no manifest)") from exc
    try:
        return Manifest.model_validate_json(raw)
    except ValidationError as exc:
        raise StorageError(f"bundle {prefix!r} has a corrupt manifest", retryable=False) from exc


def _read_file(store: ObjectStore, prefix: str, entry: ManifestEntry) -> GeneratedFile:
    key = _file_key(prefix, entry.path)
    try:
        data = store.get(key)
    except NotFoundError as exc:
        raise StorageError(f"bundle file {key!r} is missing", key=key, retryable=False) from exc
    if hashlib.sha256(data).hexdigest() != entry.sha256 or len(data) != entry.size:
        raise StorageError(f"bundle file {key!r} fails its checksum", key=key, retryable=False)
    try:
        return GeneratedFile(path=entry.path, content=data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise StorageError(f"bundle file {key!r} is not UTF-8", key=key, retryable=False) from exc


def read_bundle(store: ObjectStore, prefix_or_uri: str) -> list[GeneratedFile]:
    """Every file of a complete bundle, each verified against the manifest's sha256."""
    prefix = key_from_uri(store, prefix_or_uri).rstrip("/")
    manifest = _load_manifest(store, prefix)
    files = [_read_file(store, prefix, entry) for entry in manifest.files]
    if bundle_hash(files) != manifest.bundle_hash:
        raise StorageError(f"bundle {prefix!r} does not match its hash", retryable=False)
    return files


def export_bundle(files: list[GeneratedFile], out_dir: Path) -> list[Path]:
    """Write `files` below `out_dir` (atomically); any path escaping it is refused first."""
    root = out_dir.resolve()
    targets = [inside(root, check_path(file.path)) for file in files]
    for target, file in zip(targets, files, strict=True):
        try:
            write_atomic(target, file.content.encode("utf-8"))
        except OSError as exc:
            raise StorageError(f"cannot write {target}: {exc}", retryable=False) from exc
    return targets
