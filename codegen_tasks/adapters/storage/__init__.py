"""Object storage for generated bundles: S3/MinIO, a local folder, or memory."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from codegen_tasks.adapters.storage.bundles import (
    BundleRef,
    Manifest,
    export_bundle,
    read_bundle,
    write_bundle,
)
from codegen_tasks.adapters.storage.local import FileStore
from codegen_tasks.adapters.storage.memory import MemoryStore
from codegen_tasks.errors import StorageError
from codegen_tasks.ports.storage import ObjectStore

if TYPE_CHECKING:
    from codegen_tasks.adapters.storage.s3 import S3Store

__all__ = [
    "BundleRef",
    "FileStore",
    "Manifest",
    "MemoryStore",
    "ObjectStore",
    "S3Store",
    "export_bundle",
    "prepare_storage",
    "read_bundle",
    "store_from_url",
    "write_bundle",
]


def __getattr__(name: str) -> Any:
    """S3Store on first use: boto3 takes a while to import and embedded mode never needs it."""
    if name == "S3Store":
        from codegen_tasks.adapters.storage.s3 import S3Store

        return S3Store
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def store_from_url(url: str, endpoint_url: str | None = None) -> ObjectStore:
    """`file://relative/or/abs`, `s3://bucket/prefix` (endpoint for MinIO) or `memory://`."""
    scheme, _, rest = url.partition("://")
    if scheme == "memory":
        return MemoryStore()
    if scheme == "file" and rest:
        return FileStore(rest)
    if scheme == "s3":
        parts = urlsplit(url)
        if not parts.netloc:
            raise StorageError(f"storage URL {url!r} names no bucket", retryable=False)
        from codegen_tasks.adapters.storage.s3 import S3Store

        return S3Store(parts.netloc, parts.path.strip("/"), endpoint_url)
    raise StorageError(
        f"unsupported storage URL {url!r}: use file://, s3://bucket/prefix or memory://",
        retryable=False,
    )


def prepare_storage(
    url: str, endpoint_url: str | None = None, *, wait_s: float = 0.0, poll_s: float = 1.0
) -> None:
    """Make the store of `url` ready (S3: the bucket exists), retrying transport faults for
    at most `wait_s` seconds (a starting MinIO). Raises StorageError."""
    from codegen_tasks.adapters.storage.s3 import S3Store

    store = store_from_url(url, endpoint_url)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if isinstance(store, S3Store):
                store.ensure_bucket()
            elif isinstance(store, FileStore):
                store.root.mkdir(parents=True, exist_ok=True)
            return
        except OSError as exc:
            raise StorageError(f"cannot create {url}: {exc}", retryable=False) from exc
        except StorageError as exc:
            if not exc.retryable or time.monotonic() >= deadline:
                raise
            time.sleep(poll_s)
