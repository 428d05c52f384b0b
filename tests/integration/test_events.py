"""LOGIC nodes at work: the built shop `orders` service, backed by a throwaway PostgreSQL
database, forwards paid orders through `paid-filter` to the built `notifications` service,
whose @EventPattern handlers receive them; unpaid orders are not forwarded."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.settings import Settings
from tests.fixtures.node_build import build_bundle, free_port
from tests.unit.test_scaffold import shop_specs

pytestmark = pytest.mark.integration

CLIENT = """
require('reflect-metadata');
const { ClientProxyFactory, Transport } = require('@nestjs/microservices');
const { firstValueFrom } = require('rxjs');
const client = ClientProxyFactory.create({
  transport: Transport.TCP,
  options: { host: '127.0.0.1', port: Number(process.env.ORDERS_PORT) },
});
const ask = (pattern, data) => firstValueFrom(client.send(pattern, data));
(async () => {
  for (let i = 0; i < 150; i += 1) {
    try {
      await ask('orders.health', {});
      break;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const userId = '6f1c1b8e-52a4-4c1f-9d3c-0b1f9c1d2e3f';
  const pending = await ask('orders.create', { userId, totalCents: 100, status: 'pending' });
  const paid = await ask('orders.create', { userId, totalCents: 250, status: 'paid' });
  await ask('orders.update', { id: pending.id, status: 'paid' });
  console.log(JSON.stringify({ pending: pending.id, paid: paid.id }));
  client.close();
})().catch((error) => { console.error(error); process.exit(1); });
"""


@pytest.fixture
def services(tmp_path: Path, postgres_url: str) -> Iterator[tuple[Path, dict[str, str]]]:
    toolchain = Toolchain.from_settings(Settings(_env_file=None))
    toolchain.ensure()
    specs = shop_specs()
    folders = {
        name: build_bundle(toolchain, tmp_path / name, render_service(specs[name]))
        for name in ("orders", "notifications")
    }
    url = postgres_url.replace("postgresql+psycopg://", "postgres://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute((folders["orders"] / "migrations/orders.sql").read_bytes())
    ports = {"orders": str(free_port()), "notifications": str(free_port())}
    base = {"PATH": os.environ.get("PATH", "")}
    envs = {
        "notifications": {**base, "PORT": ports["notifications"]},
        "orders": {
            **base,
            "PORT": ports["orders"],
            "NOTIFICATIONS_PORT": ports["notifications"],
            "ORDERS_DB_URL": url,
        },
    }
    node = toolchain.node_executable()
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in folders}
    running = [
        subprocess.Popen(
            [node, "dist/main.js"],
            cwd=folders[name],
            env=envs[name],
            stdout=logs[name],
            stderr=subprocess.STDOUT,
        )
        for name in ("notifications", "orders")
    ]
    try:
        yield tmp_path, {"ORDERS_PORT": ports["orders"], **base}
    finally:
        for process in running:
            process.terminate()
        for process in running:
            process.wait(timeout=10)
        for log in logs.values():
            log.close()


def test_paid_orders_reach_the_notifications_event_handlers(
    services: tuple[Path, dict[str, str]],
) -> None:
    folder, env = services
    (folder / "client.js").write_text(CLIENT, encoding="utf-8")
    os.symlink(folder / "orders/node_modules", folder / "node_modules")
    done = subprocess.run(
        ["node", "client.js"], cwd=folder, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr + (folder / "orders.log").read_text()
    log = folder / "notifications.log"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and log.read_text().count("received") < 2:
        time.sleep(0.1)
    received = [
        line.split("received ", 1)[1]
        for line in log.read_text().splitlines()
        if "received " in line
    ]
    # the pending order is not forwarded; the paid one on create, the pending one once paid
    assert [r.strip().split("\x1b")[0] for r in received] == [
        "notifications.ordersCreated",
        "notifications.ordersUpdated",
    ]
