"""docker-compose.yml as far as a machine without a container engine allows: the real
Docker Compose (v2, pinned in the dev extras) resolves it with and without `.env`, and the
stack's one-shot setup command runs against the real PostgreSQL and an S3 endpoint here."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
import sqlalchemy as sa

from tests.fixtures.workers import ROOT, clean_env

pytestmark = pytest.mark.integration
COMPOSE = Path(sys.executable).parent / "docker-compose"
HOST_ONLY = ("CODEGEN_DATABASE_URL", "CODEGEN_S3_ENDPOINT_URL", "CODEGEN_STORAGE_URL")


def compose_config(folder: Path, env_file: str | None = None) -> dict[str, Any]:
    """`docker compose --profile cli config` of a copy of the project's compose file."""
    for name in ("docker-compose.yml", "Dockerfile"):
        shutil.copy(ROOT / name, folder / name)
    if env_file is not None:
        (folder / ".env").write_text(env_file)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MINIO_", "FLOWER_"))}
    done = subprocess.run(
        [str(COMPOSE), "--profile", "cli", "config", "--format", "json"],
        cwd=folder, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    config: dict[str, Any] = json.loads(done.stdout)
    return config


def test_compose_resolves_without_env_file_pinned_and_on_loopback(tmp_path: Path) -> None:
    config = compose_config(tmp_path)
    services = config["services"]
    assert {"redis", "postgres", "minio", "setup", "worker-llm", "worker-check",
            "worker-control", "flower", "cli"} <= set(services)  # fmt: skip
    for name, service in services.items():
        image = service.get("image", "")
        tag = image.rpartition(":")[2]
        assert image and tag and tag != "latest" and "/" not in tag, (name, image)
        for port in service.get("ports", []):
            assert port["host_ip"] == "127.0.0.1", (name, port)
    assert any(p["published"] == "5433" for p in services["postgres"]["ports"])  # host CLI
    for name in ("worker-llm", "worker-check", "worker-control"):
        assert "-l" in services[name]["command"], name  # the workers log their tasks
    assert services["cli"]["entrypoint"] == ["codegen"] and services["cli"]["profiles"] == ["cli"]
    assert any(v["target"] == "/graphs" for v in services["cli"]["volumes"])


def test_custom_credentials_reach_every_container_and_no_secret_is_on_a_command_line(
    tmp_path: Path,
) -> None:
    user, password, flower = "ops-user", f"s3-{uuid.uuid4().hex}", f"fl-{uuid.uuid4().hex}"
    config = compose_config(
        tmp_path,
        f"MINIO_ROOT_USER={user}\nMINIO_ROOT_PASSWORD={password}\n"
        f"FLOWER_USER=ops\nFLOWER_PASSWORD={flower}\n",
    )
    services = config["services"]
    assert services["minio"]["environment"]["MINIO_ROOT_USER"] == user
    for name in ("setup", "worker-llm", "flower", "cli"):
        env = services[name]["environment"]
        assert (env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]) == (user, password), name
    assert services["flower"]["environment"]["FLOWER_PASSWORD"] == flower
    assert services["flower"]["environment"]["FLOWER_ADDRESS"] == "0.0.0.0"
    for name, service in services.items():
        command = json.dumps(service.get("command")) + json.dumps(service.get("entrypoint"))
        assert password not in command and flower not in command, name


def setup_command(tmp_path: Path) -> tuple[list[str], dict[str, str]]:
    setup = compose_config(tmp_path)["services"]["setup"]
    env = {k: v for k, v in setup["environment"].items() if v is not None}
    return list(setup["command"]), env


def test_the_setup_command_creates_the_bucket_and_migrates_for_real(
    tmp_path: Path, postgres_url: str, s3_server: str
) -> None:
    command, compose_env = setup_command(tmp_path)
    bucket = f"compose-{uuid.uuid4().hex[:12]}"
    env = clean_env(**{k: v for k, v in compose_env.items() if k not in HOST_ONLY})
    env |= {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "CODEGEN_DATABASE_URL": postgres_url,
        "CODEGEN_S3_ENDPOINT_URL": s3_server,
        "CODEGEN_STORAGE_URL": compose_env["CODEGEN_STORAGE_URL"].replace(
            "codegen-bundles", bucket
        ),
    }
    for _ in range(2):  # idempotent: a restarted stack runs it again
        done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True,
                              timeout=300, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
    client = boto3.client(
        "s3",
        endpoint_url=s3_server,
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    client.head_bucket(Bucket=bucket)
    client.delete_bucket(Bucket=bucket)
    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("select version_num from alembic_version")).scalar()
    engine.dispose()


def test_the_setup_command_gives_up_on_an_unreachable_store(tmp_path: Path) -> None:
    _, compose_env = setup_command(tmp_path)
    env = clean_env(**{k: v for k, v in compose_env.items() if k not in HOST_ONLY})
    env |= {"CODEGEN_STORAGE_URL": "s3://b/p", "CODEGEN_S3_ENDPOINT_URL": "http://127.0.0.1:9"}
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "codegen_tasks", "storage", "init", "--wait", "2"],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "error:" in done.stderr and "Traceback" not in done.stderr
    assert time.monotonic() - started < 90  # bounded: never the endless loop of old
