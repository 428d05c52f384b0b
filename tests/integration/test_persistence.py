"""DATABASE nodes become real persistence: every kind and ORM compiles against the platform's
real typings, the SQL migrations apply to a throwaway PostgreSQL database, and the compiled
repositories store, read, update and delete rows in real PostgreSQL and Redis."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.settings import Settings
from tests.fixtures.node_build import build_bundle
from tests.fixtures.platform_graph import platform_specs
from tests.unit.test_scaffold import shop_specs

pytestmark = pytest.mark.integration

SPECS = platform_specs()
BUNDLES = {name: render_service(spec) for name, spec in SPECS.items()}
ORDERS = render_service(shop_specs()["orders"])


@pytest.fixture(scope="module")
def toolchain() -> Toolchain:
    chain = Toolchain.from_settings(Settings(_env_file=None))
    chain.ensure()
    return chain


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    """The throwaway database as node-postgres, TypeORM and psql spell it."""
    return postgres_url.replace("postgresql+psycopg://", "postgres://", 1)


def files_of(bundle: list[GeneratedFile]) -> dict[str, str]:
    return {f.path: f.content for f in bundle}


def apply_migrations(url: str, bundle: list[GeneratedFile]) -> list[str]:
    """Apply `migrations/*.sql` in file-name order, as the runtime check does."""
    names = sorted(
        p for p in files_of(bundle) if p.startswith("migrations/") and p.endswith(".sql")
    )
    with psycopg.connect(url, autocommit=True) as conn:
        for name in names:
            conn.execute(files_of(bundle)[name].encode())
    return names


def columns(url: str, table: str) -> dict[str, tuple[str, str, str | None]]:
    """column -> (data type, nullable, default)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT column_name, data_type, is_nullable, column_default"
            " FROM information_schema.columns WHERE table_name = %s",
            (table,),
        ).fetchall()
    return {r[0]: (r[1], r[2], r[3]) for r in rows}


def unique_columns(url: str, table: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT k.column_name FROM information_schema.table_constraints c"
            " JOIN information_schema.key_column_usage k ON k.constraint_name = c.constraint_name"
            " WHERE c.table_name = %s AND c.constraint_type = 'UNIQUE'",
            (table,),
        ).fetchall()
    return {r[0] for r in rows}


def test_every_database_kind_and_orm_compiles(toolchain: Toolchain) -> None:
    reports = TypeScriptChecker(toolchain).check_many(BUNDLES)
    failing = {k: [f.message for f in r.typescript[:3]] for k, r in reports.items() if r.typescript}
    assert failing == {}
    assert all(r.build_passed for r in reports.values())


def test_the_shop_orders_migration_creates_its_four_fields(pg_url: str) -> None:
    assert apply_migrations(pg_url, ORDERS) == ["migrations/orders.sql"]
    assert columns(pg_url, "orders") == {
        "id": ("uuid", "NO", None),
        "user_id": ("text", "NO", None),
        "total_cents": ("integer", "NO", None),
        "status": ("character varying", "YES", None),
    }


def test_constraints_and_defaults_reach_the_table(pg_url: str) -> None:
    for name in ("pg-drizzle", "pg-serial", "pg-typeorm", "unknown-orm"):
        apply_migrations(pg_url, BUNDLES[name])
    found = columns(pg_url, "pg_drizzle")
    assert found["email"][:2] == ("character varying", "NO")
    assert found["score"] == ("integer", "NO", "0")
    assert found["active"] == ("boolean", "YES", "true")
    assert found["status"][2] == "'new'::character varying"
    assert found["tags"][0] == "jsonb" and found["seen_at"][0] == "timestamp with time zone"
    assert unique_columns(pg_url, "pg_drizzle") == {"email"}
    serial = columns(pg_url, "pg_serial")
    assert serial["seq"][:2] == ("integer", "NO") and serial["amount"][0] == "bigint"
    assert set(columns(pg_url, "unknown_orm")) == set(found)  # prisma → the default, drizzle


# The script exercises a compiled repository the way the CRUD service does.
ROUND_TRIP = """
require('reflect-metadata');
const { %(cls)s } = require('./dist/database/%(stem)s.repository.js');
(async () => {
  const repo = new %(cls)s();
  const created = await repo.insert(%(row)s);
  const key = created.%(key)s;
  const found = await repo.findByKey(key);
  const updated = await repo.update({ ...found, ...%(change)s });
  const again = await repo.findByKey(key);
  const page = await repo.findPage(0, 10);
  const removed = await repo.delete(key);
  const gone = await repo.findByKey(key);
  await repo.onModuleDestroy();
  const result = { created, found, updated, again, page, removed, gone: gone ?? null };
  console.log(JSON.stringify(result));
})().catch((error) => { console.error(error); process.exit(1); });
"""


def run_repository(
    toolchain: Toolchain,
    tmp_path: Path,
    bundle: list[GeneratedFile],
    env: dict[str, str],
    script: dict[str, str],
) -> dict[str, Any]:
    folder = build_bundle(toolchain, tmp_path / "service", bundle)
    node = toolchain.node_executable()
    (folder / "round-trip.js").write_text(ROUND_TRIP % script, encoding="utf-8")
    done = subprocess.run(
        [node, "round-trip.js"],
        cwd=folder,
        env={"PATH": os.environ.get("PATH", ""), **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def assert_round_trip(result: dict[str, Any], key: str, changed: dict[str, Any]) -> None:
    assert result["found"] == result["created"]
    assert result["again"] == result["updated"] == {**result["created"], **changed}
    assert result["page"]["total"] == 1 and result["page"]["items"] == [result["again"]]
    assert result["removed"] is True and result["gone"] is None
    assert result["created"][key] is not None


@pytest.fixture
def round_trip(toolchain: Toolchain, tmp_path: Path) -> Iterator[Any]:
    def run(bundle: list[GeneratedFile], env: dict[str, str], script: dict[str, str]) -> Any:
        return run_repository(toolchain, tmp_path, bundle, env, script)

    yield run


def test_the_shop_orders_repository_persists_in_postgres(pg_url: str, round_trip: Any) -> None:
    apply_migrations(pg_url, ORDERS)
    row = {"userId": "6f1c1b8e-52a4-4c1f-9d3c-0b1f9c1d2e3f", "totalCents": 1250}
    result = round_trip(
        ORDERS,
        {"ORDERS_DB_URL": pg_url},
        {
            "cls": "OrdersDbRepository",
            "stem": "orders-db",
            "row": json.dumps(row),
            "key": "id",
            "change": json.dumps({"status": "paid"}),
        },
    )
    assert_round_trip(result, "id", {"status": "paid"})
    assert result["created"] == {"id": result["created"]["id"], **row}


@pytest.mark.parametrize("name", ["pg-typeorm-serial", "pg-serial"])
def test_numeric_keys_are_assigned_by_postgres(name: str, pg_url: str, round_trip: Any) -> None:
    apply_migrations(pg_url, BUNDLES[name])
    stem = f"{name}-db"
    cls = "".join(w.capitalize() for w in stem.split("-")) + "Repository"
    env = {stem.upper().replace("-", "_") + "_URL": pg_url}
    script = {
        "cls": cls,
        "stem": stem,
        "row": json.dumps({"label": "first", "amount": 7}),
        "key": "seq",
        "change": json.dumps({"label": "second"}),
    }
    result = round_trip(BUNDLES[name], env, script)
    assert_round_trip(result, "seq", {"label": "second"})
    assert result["created"]["seq"] == 1


def test_the_redis_repository_persists_in_redis(redis_url: str, round_trip: Any) -> None:
    script = {
        "cls": "CacheSerialDbRepository",
        "stem": "cache-serial-db",
        "row": json.dumps({"label": "first", "amount": 7}),
        "key": "seq",
        "change": json.dumps({"label": "second"}),
    }
    result = round_trip(BUNDLES["cache-serial"], {"CACHE_SERIAL_DB_URL": redis_url}, script)
    assert_round_trip(result, "seq", {"label": "second"})
