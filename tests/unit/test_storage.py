"""Object stores and bundles against the memory and file adapters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from codegen_tasks.adapters.storage import (
    FileStore,
    MemoryStore,
    S3Store,
    export_bundle,
    store_from_url,
    write_bundle,
)
from codegen_tasks.adapters.storage.bundles import bundle_hash
from codegen_tasks.adapters.storage.s3 import translate
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.errors import StorageError, UnsafePathError
from tests.contracts_storage import FILES, META, StorageContract, StoreCase


def _all_files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


@pytest.fixture(params=["memory", "file"])
def store_case(request: pytest.FixtureRequest, tmp_path: Path) -> StoreCase:
    if request.param == "memory":
        memory = MemoryStore()
        return StoreCase(memory, lambda: memory.list(""))
    return StoreCase(FileStore(tmp_path / "store"), lambda: _all_files(tmp_path))


class TestStoreContract(StorageContract):
    pass


def test_file_store_refuses_symlink_escape(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (tmp_path / "store").mkdir()
    os.symlink(outside, tmp_path / "store" / "link")
    store = FileStore(tmp_path / "store")
    with pytest.raises(StorageError):
        store.put("link/evil.txt", b"x", "text/plain")
    assert list(outside.iterdir()) == []


def test_file_store_leaves_no_temp_files(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    write_bundle(store, "p1", "n1", FILES, META)
    assert not [p for p in tmp_path.rglob(".tmp-*")]
    assert len(_all_files(tmp_path)) == 4


def test_export_bundle_writes_files(tmp_path: Path) -> None:
    written = export_bundle(FILES, tmp_path / "out")
    assert len(written) == 3
    assert (tmp_path / "out" / "src" / "main.ts").read_text() == "bootstrap();\n"


@pytest.mark.parametrize("bad_path", ["../evil.ts", "/tmp/evil.ts", "src/../../evil.ts"])
def test_export_bundle_refuses_escape(tmp_path: Path, bad_path: str) -> None:
    with pytest.raises(UnsafePathError):
        export_bundle([*FILES, GeneratedFile(path=bad_path, content="x")], tmp_path / "out")
    assert _all_files(tmp_path) == []


def test_export_bundle_refuses_symlink_escape(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", tmp_path / "out" / "src")
    with pytest.raises(StorageError):
        export_bundle(FILES, tmp_path / "out")
    assert _all_files(tmp_path / "elsewhere") == []


def test_bundle_hash_depends_on_content_not_order() -> None:
    assert bundle_hash(FILES) == bundle_hash(list(reversed(FILES)))
    renamed = [*FILES[:2], GeneratedFile(path="src/other.ts", content=FILES[2].content)]
    assert bundle_hash(renamed) != bundle_hash(FILES)


def test_store_from_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert isinstance(store_from_url("memory://", None), MemoryStore)
    relative = store_from_url("file://.codegen/bundles", None)
    assert isinstance(relative, FileStore)
    assert relative.root == tmp_path.resolve() / ".codegen" / "bundles"
    absolute = store_from_url(f"file://{tmp_path / 'abs'}", None)
    assert isinstance(absolute, FileStore)
    assert absolute.root == (tmp_path / "abs").resolve()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    s3 = store_from_url("s3://bucket/some/prefix/", "http://127.0.0.1:9")
    assert isinstance(s3, S3Store)
    assert (s3.bucket, s3.prefix, s3.endpoint_url) == (
        "bucket",
        "some/prefix",
        "http://127.0.0.1:9",
    )
    assert s3.uri("k") == "s3://bucket/some/prefix/k"
    for bad in ("ftp://x", "s3://", "file://", "bundles"):
        with pytest.raises(StorageError):
            store_from_url(bad, None)


def _client_error(code: str, status: int) -> ClientError:
    response = {"Error": {"Code": code}, "ResponseMetadata": {"HTTPStatusCode": status}}
    return ClientError(response, "PutObject")


@pytest.mark.parametrize(
    ("error", "retryable"),
    [
        (_client_error("AccessDenied", 403), False),
        (_client_error("InvalidBucketName", 400), False),
        (_client_error("SlowDown", 503), True),
        (_client_error("InternalError", 500), True),
        (_client_error("Throttling", 400), True),
        (EndpointConnectionError(endpoint_url="http://127.0.0.1:9"), True),
    ],
)
def test_s3_errors_are_classified(error: Exception, retryable: bool) -> None:
    translated = translate(error, "put", "k")
    assert isinstance(translated, StorageError)
    assert translated.retryable is retryable


def test_a_file_s_hash_and_size_follow_its_content_through_copies() -> None:
    original = GeneratedFile(path="src/a.ts", content="héllo")
    assert original.size == 6 and original.data == "héllo".encode()
    changed = original.model_copy(update={"content": "x"})
    assert changed.size == 1
    assert changed.sha256 == GeneratedFile(path="src/a.ts", content="x").sha256 != original.sha256
