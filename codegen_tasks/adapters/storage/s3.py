"""S3 / MinIO object storage through boto3 (`s3://bucket/prefix` storage URLs)."""

from __future__ import annotations

import builtins
import logging
from collections.abc import Sequence
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotoConnectionError

from codegen_tasks.errors import NotFoundError, StorageError
from codegen_tasks.ports.storage import StoredObject, check_key, check_prefix

log = logging.getLogger(__name__)

RETRYABLE_CODES = frozenset(
    {
        "InternalError",
        "RequestTimeout",
        "RequestTimeTooSkewed",
        "ServiceUnavailable",
        "SlowDown",
        "Throttling",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequests",
    }
)
MISSING_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "NotFound", "404"})


def client_config(connect_timeout: float, read_timeout: float, max_attempts: int) -> Config:
    """Timeouts, botocore's standard retries and path-style addressing (MinIO needs it)."""
    return Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        retries={"max_attempts": max_attempts, "mode": "standard"},
        s3={"addressing_style": "path"},
    )


def error_code(exc: ClientError) -> tuple[str, int]:
    error: dict[str, Any] = exc.response.get("Error", {})
    meta: dict[str, Any] = exc.response.get("ResponseMetadata", {})
    return str(error.get("Code", "")), int(meta.get("HTTPStatusCode") or 0)


def translate(exc: Exception, action: str, key: str | None) -> StorageError:
    """Map a botocore error to StorageError; retryable for transport faults, 5xx, throttling."""
    if isinstance(exc, ClientError):
        code, status = error_code(exc)
        retryable = status >= 500 or status in (408, 429) or code in RETRYABLE_CODES
        message = f"S3 {action} failed for {key!r}: {code or status}"
        return StorageError(message, key=key, retryable=retryable)
    retryable = isinstance(exc, BotoConnectionError | HTTPClientError)
    return StorageError(f"S3 {action} failed for {key!r}: {exc}", key=key, retryable=retryable)


def is_missing(exc: ClientError) -> bool:
    code, status = error_code(exc)
    return status == 404 or code in MISSING_CODES


class S3Store:
    """One bucket (and optional key prefix) as an object store."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        client: Any | None = None,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        max_attempts: int = 3,
    ) -> None:
        self.bucket = bucket
        self.prefix = check_prefix(prefix.strip("/"))
        self.endpoint_url = endpoint_url
        config = client_config(connect_timeout, read_timeout, max_attempts)
        self._client = client or boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url, config=config
        )
        self._bucket_ready = False

    def _full(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _short(self, full_key: str) -> str:
        return full_key[len(self.prefix) + 1 :] if self.prefix else full_key

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (MinIO starts empty)."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if not is_missing(exc):
                raise translate(exc, "head_bucket", self.bucket) from exc
            self._create_bucket()
        except BotoCoreError as exc:
            raise translate(exc, "head_bucket", self.bucket) from exc
        self._bucket_ready = True

    def _create_bucket(self) -> None:
        region = self._client.meta.region_name
        args: dict[str, Any] = {"Bucket": self.bucket}
        if region and region != "us-east-1":
            args["CreateBucketConfiguration"] = {"LocationConstraint": region}
        try:
            self._client.create_bucket(**args)
            log.info("created bucket %s", self.bucket)
        except ClientError as exc:
            if error_code(exc)[0] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise translate(exc, "create_bucket", self.bucket) from exc
        except BotoCoreError as exc:
            raise translate(exc, "create_bucket", self.bucket) from exc

    def put(self, key: str, data: bytes, content_type: str) -> None:
        full = self._full(check_key(key))
        try:
            self._put(full, data, content_type)
        except ClientError as exc:
            if self._bucket_ready or error_code(exc)[0] != "NoSuchBucket":
                raise translate(exc, "put", key) from exc
            self.ensure_bucket()
            self.put(key, data, content_type)
        except BotoCoreError as exc:
            raise translate(exc, "put", key) from exc

    def put_many(self, objects: Sequence[StoredObject]) -> None:
        """One request per object: each is durable once S3 answers."""
        for obj in objects:
            self.put(*obj)

    def _put(self, full: str, data: bytes, content_type: str) -> None:
        self._client.put_object(Bucket=self.bucket, Key=full, Body=data, ContentType=content_type)

    def get(self, key: str) -> bytes:
        full = self._full(check_key(key))
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=full)
            body: bytes = response["Body"].read()
        except ClientError as exc:
            if is_missing(exc):
                raise NotFoundError(f"object {key!r} not found", key=key) from exc
            raise translate(exc, "get", key) from exc
        except BotoCoreError as exc:
            raise translate(exc, "get", key) from exc
        return body

    def exists(self, key: str) -> bool:
        full = self._full(check_key(key))
        try:
            self._client.head_object(Bucket=self.bucket, Key=full)
        except ClientError as exc:
            if is_missing(exc):
                return False
            raise translate(exc, "head", key) from exc
        except BotoCoreError as exc:
            raise translate(exc, "head", key) from exc
        return True

    def list(self, prefix: str) -> builtins.list[str]:
        full = self._full(check_prefix(prefix)) if prefix else self._full("")
        keys: builtins.list[str] = []
        try:
            pages = self._client.get_paginator("list_objects_v2")
            for page in pages.paginate(Bucket=self.bucket, Prefix=full):
                keys.extend(self._short(item["Key"]) for item in page.get("Contents", []))
        except ClientError as exc:
            if error_code(exc)[0] == "NoSuchBucket":
                return []
            raise translate(exc, "list", prefix) from exc
        except BotoCoreError as exc:
            raise translate(exc, "list", prefix) from exc
        return sorted(keys)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._full(key)}"
