"""Object-store contract: the same test bodies run against memory, file and S3 adapters.

A test module defines a `store_case` fixture returning a StoreCase and subclasses
StorageContract.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pytest

from codegen_tasks.adapters import keys
from codegen_tasks.adapters.storage import ObjectStore, read_bundle, write_bundle
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.errors import NotFoundError, StorageError, UnsafePathError
from codegen_tasks.ports.storage import StoredObject

FILES = [
    GeneratedFile(path="package.json", content='{"name": "orders"}\n'),
    GeneratedFile(path="src/main.ts", content="bootstrap();\n"),
    GeneratedFile(path="src/orders/orders.service.ts", content="export class S {} // é ✓\n"),
]
META = {"model": "builtin/scaffold", "promptVersion": "v1"}
UNSAFE_PATHS = ["../evil.ts", "/etc/passwd", "src/../../evil.ts", "src\\evil.ts", "a//b.ts"]


@dataclass
class StoreCase:
    store: ObjectStore
    raw_keys: Callable[
        [], builtins.list[str]
    ]  # everything the medium holds, in or outside the store


@dataclass
class RecordingStore:
    """Delegates to `inner`, records every put; `fail_on` makes a matching put crash."""

    inner: ObjectStore
    fail_on: Callable[[str], bool] = lambda key: False
    puts: builtins.list[str] = field(default_factory=list)

    def put(self, key: str, data: bytes, content_type: str) -> None:
        if self.fail_on(key):
            raise StorageError("simulated crash", key=key)
        self.inner.put(key, data, content_type)
        self.puts.append(key)

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        for obj in objects:
            self.put(*obj)

    def get(self, key: str) -> bytes:
        return self.inner.get(key)

    def exists(self, key: str) -> bool:
        return self.inner.exists(key)

    def list(self, prefix: str) -> builtins.list[str]:
        return self.inner.list(prefix)

    def uri(self, key: str) -> str:
        return self.inner.uri(key)


class StorageContract:
    def test_put_many_stores_every_object(self, store_case: StoreCase) -> None:
        store = store_case.store
        store.put("m/old.txt", b"old", "text/plain")
        store.put_many(
            [
                StoredObject("m/a.txt", b"a", "text/plain"),
                StoredObject("m/deep/b.json", b"{}", "application/json"),
                StoredObject("m/old.txt", b"new", "text/plain"),
            ]
        )
        assert store.list("m/") == ["m/a.txt", "m/deep/b.json", "m/old.txt"]
        assert [store.get(k) for k in store.list("m/")] == [b"a", b"{}", b"new"]

    def test_put_many_refuses_an_unsafe_key(self, store_case: StoreCase) -> None:
        with pytest.raises(StorageError):
            store_case.store.put_many(
                [
                    StoredObject("u/fine.txt", b"1", "text/plain"),
                    StoredObject("u/../../escape.txt", b"2", "text/plain"),
                ]
            )
        assert not any("escape" in key for key in store_case.raw_keys())

    def test_objects_round_trip(self, store_case: StoreCase) -> None:
        store = store_case.store
        store.put("a/one.txt", b"1", "text/plain")
        store.put("a/two.txt", b"2", "text/plain")
        store.put("b/three.txt", b"3", "text/plain")
        store.put("a/one.txt", b"one", "text/plain")
        assert store.get("a/one.txt") == b"one"
        assert store.exists("a/two.txt")
        assert not store.exists("a/none.txt")
        assert store.list("a/") == ["a/one.txt", "a/two.txt"]
        assert store.list("") == ["a/one.txt", "a/two.txt", "b/three.txt"]
        assert store.list("c/") == []
        assert store.uri("a/one.txt") == store.uri("") + "a/one.txt"

    def test_missing_object_is_not_found(self, store_case: StoreCase) -> None:
        with pytest.raises(NotFoundError):
            store_case.store.get("nothing/here.txt")

    def test_bundle_round_trip(self, store_case: StoreCase) -> None:
        store = store_case.store
        ref = write_bundle(store, "p1", "n1", list(reversed(FILES)), META)
        assert ref.files == 3
        assert ref.bytes == sum(file.size for file in FILES)
        assert ref.prefix == keys.bundle_prefix("p1", "n1", ref.bundle_hash)
        assert ref.uri == store.uri(ref.prefix)
        assert read_bundle(store, ref.uri) == FILES
        assert read_bundle(store, ref.prefix) == FILES
        assert len(store_case.raw_keys()) == len(store.list("")) == 4

    def test_manifest_written_last(self, store_case: StoreCase) -> None:
        recorder = RecordingStore(store_case.store)
        ref = write_bundle(recorder, "p1", "n1", FILES, META)
        assert len(recorder.puts) == 4
        assert recorder.puts[-1] == keys.manifest_key(ref.prefix)
        assert all(k.startswith(keys.bundle_files_prefix(ref.prefix)) for k in recorder.puts[:-1])

    def test_bundle_without_manifest_is_not_found(self, store_case: StoreCase) -> None:
        crashing = RecordingStore(store_case.store, fail_on=lambda k: k.endswith("manifest.json"))
        with pytest.raises(StorageError):
            write_bundle(crashing, "p1", "n1", FILES, META)
        prefix = crashing.puts[0].split("/files/")[0]
        with pytest.raises(NotFoundError):
            read_bundle(store_case.store, prefix)
        ref = write_bundle(store_case.store, "p1", "n1", FILES, META)  # the redelivery
        assert ref.prefix == prefix
        assert read_bundle(store_case.store, ref.uri) == FILES

    def test_tampered_file_fails_checksum(self, store_case: StoreCase) -> None:
        store = store_case.store
        ref = write_bundle(store, "p1", "n1", FILES, META)
        store.put(keys.bundle_file_key(ref.prefix, "src/main.ts"), b"evil();\n", "text/plain")
        with pytest.raises(StorageError) as caught:
            read_bundle(store, ref.uri)
        assert not caught.value.retryable

    def test_same_bundle_twice_is_harmless(self, store_case: StoreCase) -> None:
        first = write_bundle(store_case.store, "p1", "n1", FILES, META)
        listing = store_case.store.list("")
        recorder = RecordingStore(store_case.store)
        second = write_bundle(recorder, "p1", "n1", FILES, {"other": "meta"})
        assert second == first
        assert recorder.puts == []
        assert store_case.store.list("") == listing
        changed = [*FILES[:2], GeneratedFile(path=FILES[2].path, content="changed\n")]
        assert write_bundle(store_case.store, "p1", "n1", changed, META).uri != first.uri

    @pytest.mark.parametrize("bad_path", UNSAFE_PATHS)
    def test_unsafe_paths_write_nothing(self, store_case: StoreCase, bad_path: str) -> None:
        files = [*FILES, GeneratedFile(path=bad_path, content="x")]
        with pytest.raises(UnsafePathError):
            write_bundle(store_case.store, "p1", "n1", files, META)
        assert store_case.raw_keys() == []

    @pytest.mark.parametrize("bad_key", ["../evil", "/abs/evil", "a/../../evil", "", "a\\b"])
    def test_unsafe_keys_refused_by_store(self, store_case: StoreCase, bad_key: str) -> None:
        with pytest.raises(StorageError) as caught:
            store_case.store.put(bad_key, b"x", "text/plain")
        assert not caught.value.retryable
        assert store_case.raw_keys() == []

    @pytest.mark.parametrize("ids", [("..", "n1"), ("p1", "../n1"), ("p1", "a/b"), ("", "n1")])
    def test_unsafe_ids_refused(self, store_case: StoreCase, ids: tuple[str, str]) -> None:
        with pytest.raises(StorageError):
            write_bundle(store_case.store, ids[0], ids[1], FILES, META)
        assert store_case.raw_keys() == []
