"""The object-store interface the pipeline depends on, and the key rules every adapter shares."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from typing import NamedTuple, Protocol

from codegen_tasks.domain.safety import key_problem
from codegen_tasks.errors import StorageError


class StoredObject(NamedTuple):
    key: str
    data: bytes
    content_type: str


class ObjectStore(Protocol):
    """A flat key/value store of bytes (S3, MinIO, a local folder, memory).

    Keys are relative POSIX paths. `uri("")` is the store's root URI and
    `uri(key) == uri("") + key`, so a URI can be mapped back to its key.
    """

    def put(self, key: str, data: bytes, content_type: str) -> None: ...

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        """Several objects, all durable once it returns (a file store syncs once)."""
        ...

    def get(self, key: str) -> bytes:
        """The object's bytes; NotFoundError when it does not exist."""
        ...

    def exists(self, key: str) -> bool: ...

    def list(self, prefix: str) -> builtins.list[str]:
        """Every key starting with `prefix`, sorted."""
        ...

    def uri(self, key: str) -> str: ...


def _refuse(key: str, reason: str) -> StorageError:
    return StorageError(f"refused object key {key!r}: {reason}", key=key, retryable=False)


def check_key(key: str) -> str:
    """Return `key` if it is a safe relative key (`safety.key_problem`), else raise a
    non-retryable StorageError."""
    problem = key_problem(key)
    if problem is not None:
        raise _refuse(key, problem)
    return key


def check_prefix(prefix: str) -> str:
    """A listing prefix: like a key, but may be empty or end with '/'."""
    problem = key_problem(prefix, prefix=True)
    if problem is not None:
        raise _refuse(prefix, problem)
    return prefix


def key_from_uri(store: ObjectStore, prefix_or_uri: str) -> str:
    """Map a URI produced by `store.uri` back to its key; a plain key is returned as is."""
    if "://" not in prefix_or_uri:
        return prefix_or_uri
    root = store.uri("")
    if not prefix_or_uri.startswith(root):
        raise StorageError(
            f"{prefix_or_uri!r} does not belong to the store at {root!r}", retryable=False
        )
    return prefix_or_uri[len(root) :]
