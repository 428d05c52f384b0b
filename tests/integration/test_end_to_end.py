"""The product as a user runs it: the `codegen` CLI in a subprocess, real services around it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa

from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import scaffold_answer
from tests.examples import SHOP_CODE_NODES, SHOP_GRAPH, SHOP_PROJECT_ID
from tests.fixtures.openrouter import TEST_API_KEY
from tests.fixtures.s3 import FAKE_ENV
from tests.fixtures.services import POSTGRES_URL
from tests.fixtures.workers import Worker, clean_env, cli_json

pytestmark = pytest.mark.integration
MODEL = "anthropic/claude-3.5-sonnet"


@pytest.fixture
def model_server() -> Iterator[FakeOpenRouter]:
    """A fake OpenRouter whose model writes the scaffold for the service it is asked for."""
    with FakeOpenRouter(api_key=TEST_API_KEY, responder=scaffold_answer) as server:
        yield server


def llm_env(server: FakeOpenRouter, **extra: str) -> dict[str, str]:
    return clean_env(OPENROUTER_API_KEY=TEST_API_KEY, OPENROUTER_BASE_URL=server.base_url, **extra)


def assert_all_succeeded(run: dict[str, object], status: str = "succeeded") -> None:
    services = run["services"]
    assert isinstance(services, list) and len(services) == SHOP_CODE_NODES
    for service in services:
        assert service["status"] == status, service
        if status == "succeeded":
            validation = service["validation"]
            assert validation["typescriptPassed"] is True, validation["errors"]
            assert validation["buildPassed"] is True
            assert validation["runtimePassed"] is True, validation["errors"]
            assert all(validation[k] is True for k in validation if k.endswith("Passed"))
            assert service["contracts"], service["serviceName"]
    assert run["status"] == "succeeded"


def assert_what_the_graph_describes(out: Path) -> None:
    """orders persists through drizzle + pg with a migration and forwards paid orders to
    notifications, which handles them; catalog (no DATABASE node) says where it keeps state."""
    orders = out / "orders"
    repository = (orders / "src/database/orders-db.repository.ts").read_text()
    assert "from 'drizzle-orm/node-postgres'" in repository and "new Map" not in repository
    assert "process.env.ORDERS_DB_URL" in repository
    migration = (orders / "migrations/orders.sql").read_text()
    assert all(c in migration for c in ('"user_id" TEXT NOT NULL', '"total_cents" INTEGER'))
    assert "ORDERS_DB_URL=" in (orders / ".env.example").read_text()
    assert (
        "return Boolean(data.status === 'paid');"
        in (orders / "src/logic/paid-filter.ts").read_text()
    )
    assert (
        "emit('notifications.ordersCreated', data)" in (orders / "src/logic/events.ts").read_text()
    )
    controller = (out / "notifications/src/notifications/notifications.controller.ts").read_text()
    assert "@EventPattern('notifications.ordersCreated')" in controller
    catalog = (out / "catalog/src/catalog/catalog.repository.ts").read_text()
    assert "the graph gives this service no DATABASE" in catalog


def test_the_main_job_on_bare_defaults_needs_no_check_database(tmp_path: Path) -> None:
    """`scripts/demo`'s settings: no check database, so a DB-backed service boots and answers
    health, its handlers are left unjudged with a warning, and nothing fails for want of one."""
    run = cli_json(["generate", str(SHOP_GRAPH)], clean_env(), tmp_path)
    assert_all_succeeded(run)
    orders = next(s for s in run["services"] if s["serviceName"] == "orders")
    warnings = [w["message"] for w in orders["validation"]["warnings"]]
    assert any("orders-db (postgresql) not exercised" in w for w in warnings), warnings
    assert any("handlers and round trips not exercised" in w for w in warnings), warnings
    catalog = next(s for s in run["services"] if s["serviceName"] == "catalog")
    assert not any("not exercised" in w["message"] for w in catalog["validation"]["warnings"])


def test_offline_generation_compiles_and_exports(tmp_path: Path) -> None:
    env = clean_env(CODEGEN_CHECK_DATABASE_URL=POSTGRES_URL)
    run = cli_json(["generate", str(SHOP_GRAPH)], env, tmp_path)
    assert_all_succeeded(run)
    assert {s["serviceName"] for s in run["services"]} == {
        "api-gateway",
        "users",
        "catalog",
        "orders",
        "payments",
        "notifications",
    }
    assert all(s["tokens"] == 0 and s["costUsd"] == 0 for s in run["services"])

    out = tmp_path / "exported"
    exported = cli_json(["export", "--project", SHOP_PROJECT_ID, "--out", str(out)], env, tmp_path)
    assert len(exported["exported"]) == SHOP_CODE_NODES
    checked = cli_json(["validate", "--path", str(out)], env, tmp_path)["services"]
    assert {s["serviceName"] for s in checked} == {s["serviceName"] for s in run["services"]}
    for service in checked:  # an export: the stored node drives all six levels
        assert service["source"] == "export" and service["nodeId"], service
        validation = service["validation"]
        assert all(validation[k] is True for k in validation if k.endswith("Passed")), validation

    controller = out / "orders" / "src" / "orders" / "orders.controller.ts"
    controller.write_text(controller.read_text().replace("@MessagePattern('orders.health')", ""))
    edited = cli_json(
        ["validate", "--path", str(out), "--service-name", "orders"], env, tmp_path, expect=1
    )["services"]
    [orders] = edited
    [error] = orders["validation"]["errors"]  # one finding for one missing handler
    assert error["level"] == "health_check" and error["file"] == "src/orders/orders.controller.ts"
    for service in run["services"]:
        names = {p.name for p in (out / service["serviceName"]).iterdir()}
        assert {"Dockerfile", ".env.example", "README.md"} <= names, service["serviceName"]
    assert_what_the_graph_describes(out)

    validated = cli_json(["validate", "--project", SHOP_PROJECT_ID], env, tmp_path)
    assert len(validated["services"]) == SHOP_CODE_NODES
    for service in validated["services"]:  # booted again, in parallel, by project validation
        assert service["validation"]["runtimePassed"] is True, service["validation"]["errors"]

    again = cli_json(["generate", str(SHOP_GRAPH)], env, tmp_path)
    assert_all_succeeded(again, status="skipped")


def test_llm_generation_then_zero_calls_on_the_second_run(
    tmp_path: Path, model_server: FakeOpenRouter
) -> None:
    env = llm_env(model_server, CODEGEN_CHECK_DATABASE_URL=POSTGRES_URL)
    first = cli_json(["generate", str(SHOP_GRAPH), "--stream", "--model", MODEL], env, tmp_path)
    assert_all_succeeded(first)
    assert model_server.calls == SHOP_CODE_NODES
    assert all(s["tokens"] > 0 and s["costUsd"] > 0 and not s["cached"] for s in first["services"])

    second = cli_json(["generate", str(SHOP_GRAPH), "--model", MODEL], env, tmp_path)
    assert_all_succeeded(second, status="skipped")
    forced = cli_json(["generate", str(SHOP_GRAPH), "--model", MODEL, "--force"], env, tmp_path)
    assert_all_succeeded(forced)
    assert all(s["cached"] for s in forced["services"])
    assert model_server.calls == SHOP_CODE_NODES  # both reruns made zero LLM calls


def test_real_workers_redis_postgres_and_s3(
    tmp_path: Path,
    model_server: FakeOpenRouter,
    redis_url: str,
    postgres_url: str,
    s3_bucket: tuple[str, str],
    start_worker: Callable[..., Worker],
) -> None:
    endpoint, bucket = s3_bucket
    env = llm_env(
        model_server,
        CODEGEN_BROKER_URL=redis_url,
        CODEGEN_REDIS_URL=redis_url,
        CODEGEN_DATABASE_URL=postgres_url,
        CODEGEN_CHECK_DATABASE_URL=POSTGRES_URL,
        CODEGEN_STORAGE_URL=f"s3://{bucket}/bundles",
        CODEGEN_S3_ENDPOINT_URL=endpoint,
        **FAKE_ENV,
    )
    start_worker(env, tmp_path, concurrency=4)
    run = cli_json(["generate", str(SHOP_GRAPH), "--model", MODEL], env, tmp_path)
    assert_all_succeeded(run)
    assert all(s["bundleUri"].startswith(f"s3://{bucket}/bundles/") for s in run["services"])

    s3 = boto3.client("s3", endpoint_url=endpoint, **_creds())
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    assert sum(k.endswith("/manifest.json") for k in keys) == SHOP_CODE_NODES
    assert all(k.startswith("bundles/projects/") for k in keys)

    engine = sa.create_engine(postgres_url)
    with engine.connect() as conn:
        generations = conn.execute(sa.text("select count(*) from generation_history")).scalar()
        calls = conn.execute(sa.text("select count(*) from llm_calls")).scalar()
        stored = " ".join(str(r) for r in conn.execute(sa.text("select * from llm_calls")))
    engine.dispose()
    assert generations == SHOP_CODE_NODES and calls == SHOP_CODE_NODES
    assert TEST_API_KEY not in stored

    again = cli_json(["generate", str(SHOP_GRAPH), "--model", MODEL], env, tmp_path)
    assert_all_succeeded(again, status="skipped")
    assert model_server.calls == SHOP_CODE_NODES


def _creds() -> dict[str, str]:
    return {
        "aws_access_key_id": FAKE_ENV["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": FAKE_ENV["AWS_SECRET_ACCESS_KEY"],
        "region_name": FAKE_ENV["AWS_DEFAULT_REGION"],
    }
