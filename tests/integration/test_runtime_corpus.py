"""Bundles that compile but fail at run time: each fails the right level with the service's
own message. All are compiled in one `tsc` run, then booted in the sandbox (two at a time),
as project validation does; one runs against a real throwaway PostgreSQL database."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import ClassVar

import psycopg
import pytest

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.runtime import RuntimeChecker, RuntimeConfig
from codegen_tasks.checks.runtime.databases import PostgresThrowaways, Throwaway
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import ValidationResult
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.pipeline.check import check_many, combine
from codegen_tasks.platform import load_platform
from codegen_tasks.settings import get_settings
from tests.examples import node_id, shop
from tests.fixtures.services import POSTGRES_URL

pytestmark = pytest.mark.integration

LEVELS = (
    "structural",
    "contract",
    "typescript",
    "build",
    "health_check",
    "contract_discovery",
    "runtime",
)
ORDERS_SERVICE = "src/orders/orders.service.ts"
ORDERS_MODULE = "src/orders/orders.module.ts"
MAIN = "src/main.ts"
REPOSITORY = "src/database/orders-db.repository.ts"
Files = dict[str, str]


@dataclass(frozen=True)
class Case:
    service: str
    mutate: Callable[[Files], None]
    failed: set[str]
    says: str  # what the first error of the failed level must contain (the service's words)


def _replace(path: str, old: str, new: str) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        assert old in files[path], (path, old)
        files[path] = files[path].replace(old, new, 1)

    return mutate


UNREGISTERED = _replace(
    ORDERS_SERVICE,
    "@Injectable()\nexport class OrdersService {\n  constructor(\n",
    "@Injectable()\nexport class AuditTrail {}\n\n"
    "@Injectable()\nexport class OrdersService {\n  constructor(\n"
    "    private readonly audit: AuditTrail,\n",
)
MISSING_IMPORT = _replace(
    ORDERS_MODULE,
    "imports: [OrdersClientsModule, OrdersEventsModule],",
    "imports: [OrdersEventsModule],",
)
THROWS_AT_BOOT = _replace(
    MAIN,
    "async function bootstrap(): Promise<void> {\n",
    "async function bootstrap(): Promise<void> {\n"
    "  throw new Error('ORDERS_SIGNING_KEY is not configured');\n",
)
WRONG_PORT = _replace(MAIN, "Number(process.env.PORT ?? 4", "Number(process.env.ORDERS_PORT ?? 4")
HANDLER_THROWS = _replace(
    ORDERS_SERVICE,
    "  async findAll(dto: OrdersFindAllDto): Promise<OrdersPage> {\n",
    "  async findAll(dto: OrdersFindAllDto): Promise<OrdersPage> {\n"
    "    if (Date.now() > 0) {\n      throw new TypeError('page cursor is not iterable');\n    }\n",
)
NEVER_SETTLES = _replace(
    "src/payments/payments.service.ts",
    "  async charge(dto: PaymentsChargeDto): Promise<PaymentsPayment> {\n",
    "  async charge(dto: PaymentsChargeDto): Promise<PaymentsPayment> {\n"
    "    if (dto !== null) {\n      await new Promise<void>(() => undefined);\n    }\n",
)
LOSES_A_FIELD = _replace(
    ORDERS_SERVICE, "      status: dto?.status,\n", "      status: dto?.status?.toUpperCase(),\n"
)

PG_REPOSITORY = """import { randomUUID } from 'node:crypto';

import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';

export interface OrdersDbRecord {
  id: string;
  userId: string;
  totalCents: number;
  status?: string;
}

interface OrdersRow {
  id: string;
  user_id: string;
  total_cents: number;
  status: string | null;
}

function toRecord(row: OrdersRow): OrdersDbRecord {
  const record: OrdersDbRecord = { id: row.id, userId: row.user_id, totalCents: row.total_cents };
  if (row.status !== null) {
    record.status = row.status;
  }
  return record;
}

@Injectable()
export class OrdersDbRepository implements OnModuleDestroy {
  private readonly pool = new Pool({ connectionString: process.env.ORDERS_DB_URL });

  async insert(row: Omit<OrdersDbRecord, 'id'>): Promise<OrdersDbRecord> {
    const result = await this.pool.query<OrdersRow>(
      'INSERT INTO orders (id, user_id, total_cents, status) VALUES ($1, $2, $3, $4) RETURNING *',
      [randomUUID(), row.userId, row.totalCents, row.status ?? null],
    );
    return toRecord(result.rows[0]);
  }

  async findPage(
    offset: number,
    limit: number,
  ): Promise<{ items: OrdersDbRecord[]; total: number }> {
    const result = await this.pool.query<OrdersRow>('SELECT * FROM orders ORDER BY id');
    const all = result.rows.map(toRecord);
    return { items: all.slice(offset, offset + limit), total: all.length };
  }

  async findByKey(key: string): Promise<OrdersDbRecord | undefined> {
    const result = await this.pool.query<OrdersRow>('SELECT * FROM orders WHERE id = $1', [key]);
    return result.rows.length ? toRecord(result.rows[0]) : undefined;
  }

  async update(row: OrdersDbRecord): Promise<OrdersDbRecord> {
    const result = await this.pool.query<OrdersRow>(
      'UPDATE orders SET user_id = $2, total_cents = $3, status = $4 WHERE id = $1 RETURNING *',
      [row.id, row.userId, row.totalCents, row.status ?? null],
    );
    return toRecord(result.rows[0]);
  }

  async delete(key: string): Promise<boolean> {
    const result = await this.pool.query('DELETE FROM orders WHERE id = $1', [key]);
    return (result.rowCount ?? 0) > 0;
  }

  async count(): Promise<number> {
    const result = await this.pool.query<{ n: string }>('SELECT count(*) AS n FROM orders');
    return Number(result.rows[0].n);
  }

  async onModuleDestroy(): Promise<void> {
    await this.pool.end();
  }
}
"""
MIGRATION = (
    "CREATE TABLE orders (\n  id uuid PRIMARY KEY,\n  user_id text NOT NULL,\n"
    "  total_cents integer NOT NULL,\n  status text\n);\n"
)


def _postgres(migration: str) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        files[REPOSITORY] = PG_REPOSITORY
        files["migrations/0001_orders.sql"] = migration
        package = json.loads(files["package.json"])
        package["dependencies"]["pg"] = load_platform().versions["pg"]
        package["devDependencies"]["@types/pg"] = load_platform().versions["@types/pg"]
        files["package.json"] = json.dumps(package, indent=2)

    return mutate


CASES: dict[str, Case] = {
    "intact_orders": Case("orders", lambda files: None, set(), ""),
    "intact_payments": Case("payments", lambda files: None, set(), ""),
    "orders_in_postgres": Case("orders", _postgres(MIGRATION), set(), ""),
    "unregistered_provider": Case(
        "orders",
        UNREGISTERED,
        {"health_check"},
        "Nest can't resolve dependencies of the OrdersService",
    ),
    "missing_module_import": Case(
        "orders", MISSING_IMPORT, {"health_check"}, "argument CatalogClient at index [1]"
    ),
    "throws_at_bootstrap": Case(
        "orders", THROWS_AT_BOOT, {"health_check"}, "ORDERS_SIGNING_KEY is not configured"
    ),
    "listens_on_a_wrong_port": Case(
        "orders", WRONG_PORT, {"health_check"}, "did not listen on PORT=3001"
    ),
    "handler_throws": Case("orders", HANDLER_THROWS, {"runtime"}, "page cursor is not iterable"),
    "never_settling_handler": Case(
        "payments", NEVER_SETTLES, {"runtime"}, "'payments.charge' (payments.charge) with payload"
    ),
    "round_trip_loses_a_field": Case(
        "orders", LOSES_A_FIELD, {"runtime"}, 'did not store {"status": "probe-status-0"}'
    ),
    "migration_fails": Case(
        "orders",
        _postgres("CREATE TABLE orders (id uuid PRIMARY KEY, oops);\n"),
        {"runtime"},
        "migration migrations/0001_orders.sql failed",
    ),
}


class RecordingThrowaways(PostgresThrowaways):
    """The real adapter, remembering the databases it made (to prove they are dropped)."""

    made: ClassVar[list[str]] = []

    @contextlib.contextmanager
    def database(self) -> Iterator[Throwaway]:
        with super().database() as made:
            self.made.append(made.name)
            yield made


def _spec(name: str) -> ServiceSpec:
    raw = shop()
    return build_service_spec(parse_graph(raw).graph, node_id(raw, name), "shop")


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[Files, ValidationResult]]:
    specs = {name: _spec(name) for name in ("orders", "payments")}
    bundles: dict[str, Files] = {}
    for name, case in CASES.items():
        files = {f.path: f.content for f in render_service(specs[case.service])}
        case.mutate(files)
        bundles[name] = files
    as_files = {
        name: [GeneratedFile(path=p, content=c) for p, c in sorted(files.items())]
        for name, files in bundles.items()
    }
    toolchain = Toolchain(get_settings().toolchain_dir)
    config = RuntimeConfig(boot_timeout_s=10.0, call_timeout_s=3.0)
    checker = RuntimeChecker(toolchain, config, databases=RecordingThrowaways(POSTGRES_URL))
    reports = TypeScriptChecker(toolchain).check_many(as_files)
    jobs = {name: (specs[CASES[name].service], as_files[name]) for name in CASES}
    checked = check_many(checker, jobs, reports, concurrency=2)
    return {
        name: (bundles[name], combine(jobs[name][0], as_files[name], reports[name], *checked[name]))
        for name in CASES
    }


def failed_levels(result: ValidationResult) -> set[str]:
    wire = result.model_dump()
    return {level for level in LEVELS if wire[f"{level}_passed"] is False}


@pytest.mark.parametrize("name", list(CASES))
def test_each_bundle_fails_the_right_level_with_its_own_message(
    name: str, corpus: dict[str, tuple[Files, ValidationResult]]
) -> None:
    _, result = corpus[name]
    case = CASES[name]
    assert result.build_passed is True, result.errors
    assert failed_levels(result) == case.failed, [e.model_dump() for e in result.errors]
    if not case.failed:
        assert result.errors == [] and result.runtime_passed is True
        assert result.health_check_passed is True
        return
    level = min(case.failed)
    first = next(e for e in result.errors if e.level.value == level)
    assert case.says in first.message, first.message
    if level == "health_check":
        assert result.runtime_passed is None  # handlers are not exercised without a boot


def test_throwaway_databases_are_dropped(corpus: dict[str, tuple[Files, ValidationResult]]) -> None:
    made = RecordingThrowaways.made
    orders = [name for name, case in CASES.items() if case.service == "orders"]
    assert len(made) == len(orders)  # orders depends on a PostgreSQL database
    with psycopg.connect(PostgresThrowaways(POSTGRES_URL).admin_url) as conn:
        left = conn.execute("SELECT count(*) FROM pg_database WHERE datname = ANY(%s)", [made])
        roles = conn.execute("SELECT count(*) FROM pg_roles WHERE rolname = ANY(%s)", [made])
        assert left.fetchone() == (0,) and roles.fetchone() == (0,)
