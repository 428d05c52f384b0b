"""Typed contracts across services with the real compiler: the type-level module compiled with
the project's batch, planted mismatches, and the AsyncAPI document against the official
AsyncAPI 3.0 JSON Schema (from the pinned `@asyncapi/specs`)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from codegen_tasks.adapters.cache.memory import MemoryCache
from codegen_tasks.adapters.history.migrate import make_engine, upgrade
from codegen_tasks.adapters.history.repository import History
from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.adapters.storage.memory import MemoryStore
from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.checks.contracts import discover
from codegen_tasks.checks.contracts.breaking import OLD_SUFFIX, type_changes, type_checks
from codegen_tasks.checks.contracts.compat import ServiceBundle, TypedContracts, plan_checks
from codegen_tasks.checks.contracts.schemas import ASYNCAPI_SCHEMA, contract_tools
from codegen_tasks.checks.static.extra import ExtraReport, ExtraSources
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.typescript import TypeScriptChecker, TypeScriptReport
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import RunResult, RunStatus, ServiceStatus
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.embedded import EmbeddedRun
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.settings import Settings
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.examples import SHOP_GRAPH, SHOP_PROJECT_ID, shop
from tests.fixtures.workers import clean_env, cli_json, run_cli
from tests.unit.test_scaffold import shop_specs

pytestmark = pytest.mark.integration

SHOP = {name: render_service(spec) for name, spec in shop_specs().items()}


@pytest.fixture(scope="module")
def checker() -> TypeScriptChecker:
    toolchain = Toolchain.from_settings(Settings(_env_file=None))
    toolchain.ensure()
    return TypeScriptChecker(toolchain)


def replaced(name: str, path: str, old: str, new: str) -> dict[str, list[GeneratedFile]]:
    """The shop's bundles with one edit (first occurrence) in one file of one service."""
    bundles = dict(SHOP)
    files = bundles[name]
    content = next(f.content for f in files if f.path == path)
    assert old in content
    edited = GeneratedFile(path=path, content=content.replace(old, new, 1))
    bundles[name] = [edited if f.path == path else f for f in files]
    return bundles


def typed_errors(checker: TypeScriptChecker, bundles: dict[str, list[GeneratedFile]]) -> Any:
    plan = plan_checks([ServiceBundle(k, k, f, discover(f)) for k, f in bundles.items()])
    reports, extra = checker.check_batch(bundles, plan.sources)
    assert extra.skipped is None
    return plan, reports, plan.findings(extra.diagnostics)


def test_the_shop_has_no_mismatches_and_each_call_is_checked(checker: TypeScriptChecker) -> None:
    plan, reports, found = typed_errors(checker, SHOP)
    # gateway → users/catalog/orders, orders → catalog/payments: payload and reply each
    callers = {c.caller.key for c in plan.checks}
    assert callers == {"api-gateway", "orders"}
    assert {c.kind for c in plan.checks} == {"payload", "reply"}
    assert len(plan.checks) >= 20
    assert all(not f.errors for f in found.values()), found
    assert all(r.typescript == [] for r in reports.values())


def test_a_number_sent_where_the_handler_expects_a_string(checker: TypeScriptChecker) -> None:
    path = "src/clients/payments.client.ts"
    bundles = replaced("orders", path, "orderId: string;", "orderId: number;")
    _, reports, found = typed_errors(checker, bundles)
    assert reports["orders"].typescript == []  # each side compiles on its own
    [error] = found["orders"].errors
    assert error.level == "contract" and error.file == path and error.line > 0
    assert "'payments.charge'" in error.message
    assert "payments/src/payments/payments.controller.ts" in error.message
    assert "TS2322" in error.message and "number" in error.message
    assert "string" in error.message
    assert all(not f.errors for k, f in found.items() if k != "orders")


def test_a_reply_field_the_handler_does_not_return(checker: TypeScriptChecker) -> None:
    path = "src/clients/payments.client.ts"
    bundles = replaced(
        "orders", path, "  chargedAt: string;", "  chargedAt: string;\n  receipt: string;"
    )
    _, _, found = typed_errors(checker, bundles)
    errors = found["orders"].errors
    assert errors, found
    assert all("reply" in e.message and "'receipt'" in e.message for e in errors)
    # the reply type is shared by charge and refund: one located error per call
    assert {e.message.split("'")[1] for e in errors} == {"payments.charge", "payments.refund"}
    assert all(e.file == path for e in errors)


EVENT_CALLER = """import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';

export interface OrderPaid {
  orderId: <<type>>;
}

@Injectable()
export class OrderEvents {
  constructor(@Inject('BUS') private readonly bus: ClientProxy) {}

  paid(event: OrderPaid): void {
    this.bus.emit('orders.paid', event);
  }
}
"""
EVENT_HANDLER = """import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';

export class OrderPaidEvent {
  orderId!: string;
}

@Controller()
export class PaidController {
  @EventPattern('orders.paid')
  onPaid(@Payload() event: OrderPaidEvent): void {
    void event;
  }
}
"""


@pytest.mark.parametrize(("sent", "errors"), [("string", 0), ("number", 1)])
def test_events_are_checked_the_same_way(
    checker: TypeScriptChecker, sent: str, errors: int
) -> None:
    bundles = {
        "orders": [
            GeneratedFile(path="src/events.ts", content=EVENT_CALLER.replace("<<type>>", sent))
        ],
        "notifications": [GeneratedFile(path="src/paid.controller.ts", content=EVENT_HANDLER)],
    }
    plan, _, found = typed_errors(checker, bundles)
    assert [c.kind for c in plan.checks] == ["payload"]
    got = found.get("orders")
    assert len(got.errors if got else []) == errors
    if errors:
        message = found["orders"].errors[0].message
        assert (
            "emits 'orders.paid'" in message and "notifications/src/paid.controller.ts" in message
        )


def test_asyncapi_document_of_the_shop_validates_against_the_official_schema(
    tmp_path: Path,
) -> None:
    env = clean_env(
        CODEGEN_DATABASE_URL=f"sqlite:///{tmp_path}/codegen.db",
        CODEGEN_STORAGE_URL=f"file://{tmp_path}/bundles",
    )
    # generation without the tsc levels (covered elsewhere); the export needs the compiler
    cli_json(["generate", str(SHOP_GRAPH)], env | {"CODEGEN_VALIDATE_TYPESCRIPT": "0"}, tmp_path)
    out = tmp_path / "shop.asyncapi.json"
    args = ["contracts", "--project", SHOP_PROJECT_ID, "--asyncapi", "--out", str(out)]
    summary = cli_json(args, env, tmp_path)
    document = json.loads(out.read_text())
    assert summary["channels"] == len(document["channels"])
    tools = contract_tools(Settings(_env_file=None).toolchain_dir).ensure()
    schema = json.loads((tools / ASYNCAPI_SCHEMA).read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(document)
    # every pattern the graph implies is a channel with its handler's receive operation
    addresses = {c["address"] for c in document["channels"].values()}
    for spec in shop_specs().values():
        for pattern in spec.patterns():
            assert pattern in addresses
            assert f"{spec.name}.receive.{pattern}" in document["operations"]
    assert document["operations"]["orders.send.payments.charge"]["action"] == "send"
    charge = document["components"]["messages"]["payments.charge.request"]["payload"]
    assert charge["required"] == ["amountCents", "orderId"]
    assert charge["properties"]["orderId"] == {"type": "string"}
    assert set(document["servers"]) == {spec.name for spec in shop_specs().values()}
    # a broken document is refused by the same validator (the check can fail)
    document["operations"]["orders.send.payments.charge"]["action"] = "publish"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validators.validator_for(schema)(schema).validate(document)


def test_type_level_breaking_changes_against_the_last_success(checker: TypeScriptChecker) -> None:
    def bundle(key: str, name: str, files: list[GeneratedFile]) -> ServiceBundle:
        return ServiceBundle(key, name, files, discover(files))

    dto = "src/orders/dto/crud.dto.ts"
    orders = replaced(
        "orders", dto, "  totalCents!: number;", "  totalCents!: number;\n  currency!: string;"
    )
    payments = replaced(
        "payments",
        "src/payments/dto/payment.dto.ts",
        "status: 'charged' | 'refunded';",
        "status: string;",
    )
    plan = TypedContracts()
    bundles: dict[str, list[GeneratedFile]] = {}
    for name, files in (("orders", orders["orders"]), ("payments", payments["payments"])):
        old, new = (
            bundle(name + OLD_SUFFIX, name + OLD_SUFFIX, SHOP[name]),
            bundle(name, name, files),
        )
        plan.checks.extend(type_checks(old, new).checks)
        bundles |= {old.key: old.files, new.key: new.files}
    extra = checker.check_extra(bundles, plan.sources)
    changes = type_changes(plan, extra.diagnostics)
    found = sorted((c.service_name, c.kind, c.pattern) for c in changes)
    assert found == [
        ("orders", "request_field_added", "orders.create"),
        ("payments", "reply_widened", "payments.charge"),
        ("payments", "reply_widened", "payments.refund"),
    ]
    added = next(c for c in changes if c.kind == "request_field_added")
    assert "'currency'" in added.message and "src/orders/orders.controller.ts" in added.message


def test_a_renamed_pattern_in_a_regeneration_is_reported_and_can_fail_the_run(
    tmp_path: Path,
) -> None:
    env = clean_env(
        CODEGEN_DATABASE_URL=f"sqlite:///{tmp_path}/codegen.db",
        CODEGEN_STORAGE_URL=f"file://{tmp_path}/bundles",
        CODEGEN_VALIDATE_TYPESCRIPT="0",
    )
    first = cli_json(["generate", str(SHOP_GRAPH)], env, tmp_path)
    assert first["breakingChanges"] == []  # nothing to compare with
    graph = json.loads(SHOP_GRAPH.read_text())
    catalog = next(n for n in graph["graph"]["nodes"] if n["data"]["serviceName"] == "catalog")
    catalog["data"]["config"]["actions"] = ["create", "findAll", "getOne", "update", "remove"]
    renamed = tmp_path / "renamed.graph.json"
    renamed.write_text(json.dumps(graph))
    failing = env | {"CODEGEN_FAIL_ON_BREAKING": "1"}
    second = cli_json(["generate", str(renamed)], failing, tmp_path, expect=1)
    [change] = second["breakingChanges"]
    assert (change["serviceName"], change["kind"]) == ("catalog", "pattern_renamed")
    assert (change["pattern"], change["newPattern"]) == ("catalog.findOne", "catalog.getOne")
    statuses = {s["serviceName"]: s for s in second["services"]}
    assert statuses["catalog"]["status"] == "failed"
    assert "breaking contract change" in statuses["catalog"]["error"]
    assert second["status"] == "partial"
    # stored with the run: `codegen status` shows the same report, as a table too
    stored = cli_json(["status", second["runId"]], env, tmp_path)
    assert stored["breakingChanges"] == second["breakingChanges"]
    shown = run_cli(["status", second["runId"]], env, tmp_path)
    table = shown.stdout + shown.stderr  # rich prints tables on the console's stream
    assert shown.returncode == 0 and "breaking changes" in table and "pattern_renam" in table


class CountingChecker(TypeScriptChecker):
    """The real compiler, counting the typed contract compiles (alone, or with a batch)."""

    extra_compiles = 0

    def check_extra(
        self, bundles: Mapping[str, list[GeneratedFile]], extra: ExtraSources
    ) -> ExtraReport:
        self.extra_compiles += 1
        return super().check_extra(bundles, extra)

    def check_batch(
        self,
        bundles: dict[str, list[GeneratedFile]],
        extra: ExtraSources | None = None,
        against: Mapping[str, list[GeneratedFile]] | None = None,
    ) -> tuple[dict[str, TypeScriptReport], ExtraReport]:
        self.extra_compiles += extra is not None
        return super().check_batch(bundles, extra, against)


def _embedded(deps: Deps, payload: GenerateProjectPayload) -> RunResult:
    return EmbeddedRun(deps, payload).run()


@pytest.mark.parametrize("runner", [run_project, _embedded], ids=["chain", "embedded"])
def test_a_run_fails_the_caller_whose_payload_its_callee_does_not_accept(
    checker: TypeScriptChecker,
    runner: Callable[[Deps, GenerateProjectPayload], RunResult],
    tmp_path: Path,
) -> None:
    """Also in an embedded run, which compiles the check ahead while the runtime checks go
    on: once, its answer the close's."""
    checker = CountingChecker(checker.toolchain, work_root=checker.work_root)

    def answer(request: CompletionRequest) -> str:
        body = json.loads(scaffold_answer(request.model_dump()))
        for file in body["files"]:
            if file["path"] == "src/clients/payments.client.ts":
                file["content"] = file["content"].replace("orderId: string;", "orderId: number;", 1)
        return json.dumps(body)

    engine = make_engine(f"sqlite:///{tmp_path / 'codegen.db'}")  # as embedded runs use it
    upgrade(engine)
    llm = ScriptedLLM(answer)
    deps = Deps(
        settings=Settings(_env_file=None, CODEGEN_FEEDBACK_ATTEMPTS=0),  # type: ignore[call-arg]
        history=History(engine),
        store=MemoryStore(),
        cache=MemoryCache(),
        llm_factory=lambda: llm,
        typescript=checker,
    )
    payload = GenerateProjectPayload(
        project_id=SHOP_PROJECT_ID, graph=shop(), ai_model="openai/gpt-4o"
    )
    result = runner(deps, payload)
    assert checker.extra_compiles == 1
    statuses = {s.service_name: s for s in result.services}
    orders = statuses.pop("orders")
    assert orders.status is ServiceStatus.FAILED
    assert all(s.status is ServiceStatus.SUCCEEDED for s in statuses.values())
    assert orders.validation is not None and orders.validation.contract_passed is False
    assert orders.validation.typescript_passed is True  # each bundle compiles on its own
    [error] = [e for e in orders.validation.errors if e.level == "contract"]
    assert error.file == "src/clients/payments.client.ts"
    assert "'payments.charge'" in error.message and "TS2322" in error.message
    assert orders.error is not None and "payments.charge" in orders.error
    assert result.status is RunStatus.PARTIAL
