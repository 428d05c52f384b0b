"""Object stores and bundles against an S3 endpoint (moto's server, reached through boto3)."""

from __future__ import annotations

import uuid

import boto3
import pytest

from codegen_tasks.adapters.storage import S3Store, read_bundle, store_from_url, write_bundle
from codegen_tasks.errors import StorageError
from tests.contracts_storage import FILES, META, StorageContract, StoreCase
from tests.tcp_proxy import free_port

pytestmark = pytest.mark.integration


def _bucket_keys(endpoint_url: str, bucket: str) -> list[str]:
    client = boto3.client("s3", endpoint_url=endpoint_url)
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(item["Key"] for page in pages for item in page.get("Contents", []))


@pytest.fixture
def store_case(s3_bucket: tuple[str, str]) -> StoreCase:
    endpoint_url, bucket = s3_bucket
    store = S3Store(bucket, "codegen", endpoint_url)
    return StoreCase(store, lambda: _bucket_keys(endpoint_url, bucket))


class TestS3StoreContract(StorageContract):
    pass


def test_keys_live_under_the_store_prefix(s3_bucket: tuple[str, str]) -> None:
    endpoint_url, bucket = s3_bucket
    ref = write_bundle(S3Store(bucket, "team/a", endpoint_url), "p1", "n1", FILES, META)
    assert ref.uri.startswith(f"s3://{bucket}/team/a/projects/p1/nodes/n1/bundles/")
    raw = _bucket_keys(endpoint_url, bucket)
    assert len(raw) == 4
    assert all(key.startswith(f"team/a/{ref.prefix}/") for key in raw)


def test_bucket_is_created_on_demand(s3_server: str) -> None:
    bucket = f"codegen-new-{uuid.uuid4().hex[:12]}"
    store = store_from_url(f"s3://{bucket}/bundles", s3_server)
    assert store.list("") == []
    ref = write_bundle(store, "p1", "n1", FILES, META)
    assert read_bundle(store, ref.uri) == FILES
    assert len(_bucket_keys(s3_server, bucket)) == 4


def test_endpoint_down_is_retryable(s3_server: str) -> None:
    """s3_server provides the fake credentials; the store talks to a closed port."""
    store = S3Store("bucket", "", f"http://127.0.0.1:{free_port()}", max_attempts=2)
    for action in (
        lambda: store.put("k", b"x", "text/plain"),
        lambda: store.get("k"),
        lambda: store.list(""),
    ):
        with pytest.raises(StorageError) as caught:
            action()
        assert caught.value.retryable
        assert caught.value.__cause__ is not None
