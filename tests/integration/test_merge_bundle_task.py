"""`codegen.merge_bundle` as a web backend uses it: bundles uploaded to S3, the task run by a
real worker over Redis, the merged bundle read back from the object store."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from codegen_tasks.adapters.storage import S3Store, read_bundle, write_bundle
from codegen_tasks.domain.files import GeneratedFile
from tests.fixtures.s3 import FAKE_ENV
from tests.fixtures.workers import Worker, clean_env

pytestmark = pytest.mark.integration

CLIENT_SCRIPT = """
import json, sys
from codegen_tasks.api.client import CodegenClient
client = CodegenClient()
print(json.dumps(client.wait(client.merge_bundle(json.loads(sys.argv[1])), timeout=120)))
"""
BASE = "a\nb\nc\nd\ne\nf\n"


def bundle(store: S3Store, files: dict[str, str], node: str = "n1") -> str:
    generated = [GeneratedFile(path=p, content=c) for p, c in files.items()]
    return write_bundle(store, "p1", node, generated, {"kind": "test"}).uri


def test_a_worker_merges_an_uploaded_bundle_into_the_new_one(
    tmp_path: Path,
    redis_url: str,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
) -> None:
    endpoint, bucket = s3_bucket
    env = clean_env(
        CODEGEN_BROKER_URL=redis_url,
        CODEGEN_DATABASE_URL=postgres_url,
        CODEGEN_STORAGE_URL=f"s3://{bucket}/bundles",
        CODEGEN_S3_ENDPOINT_URL=endpoint,
        **FAKE_ENV,
    )
    store = S3Store(bucket, "bundles", endpoint)
    base = bundle(store, {"src/a.ts": BASE, "src/b.ts": BASE, "src/gone.ts": BASE})
    user = bundle(
        store,
        {
            "src/a.ts": BASE.replace("b\n", "b (ours)\n"),
            "src/b.ts": BASE.replace("e\n", "e (ours)\n"),
            "src/gone.ts": BASE,
            "src/mine.ts": "mine\n",
        },
    )
    new = bundle(
        store,
        {"src/a.ts": BASE.replace("e\n", "e (new)\n"), "src/b.ts": BASE.replace("e\n", "E\n")},
    )
    start_worker(env, tmp_path, concurrency=2)
    payload = {"projectId": "p1", "nodeId": "n1", "baseBundleUri": base, "userBundleUri": user}
    payload["newBundleUri"] = new
    done = subprocess.run(
        [sys.executable, "-c", CLIENT_SCRIPT, json.dumps(payload)],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["clean"] is False and result["conflicts"] == ["src/b.ts"]
    assert {c["path"]: c["action"] for c in result["changes"]} == {
        "src/a.ts": "merged",
        "src/b.ts": "conflict",
        "src/gone.ts": "removed",
    }
    assert result["bundleUri"].startswith(f"s3://{bucket}/bundles/projects/p1/nodes/n1/")

    merged = {f.path: f.content for f in read_bundle(store, result["bundleUri"])}
    assert set(merged) == {"src/a.ts", "src/b.ts", "src/mine.ts"}
    assert merged["src/a.ts"] == BASE.replace("b\n", "b (ours)\n").replace("e\n", "e (new)\n")
    assert "<<<<<<< yours\ne (ours)\n=======\nE\n>>>>>>> generated\n" in merged["src/b.ts"]
    assert merged["src/mine.ts"] == "mine\n"
