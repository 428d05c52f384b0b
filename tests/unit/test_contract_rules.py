"""The contract, health_check and contract_discovery levels over realistic bundles."""

from __future__ import annotations

from typing import Any

from codegen_tasks.checks.contracts import (
    contract_findings,
    contract_levels,
    discover_contracts,
    discovery_findings,
    health_findings,
)
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract, ContractSet, ValidationLevel, ValidationResult
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec

CONTROLLER = "src/orders/orders.controller.ts"
SERVICE = "src/orders/orders.service.ts"


def node(node_id: str, kind: int, name: str, blueprint: str) -> dict[str, Any]:
    return {"id": node_id, "type": kind, "data": {"serviceName": name, "blueprintId": blueprint}}


def spec_of(name: str = "orders") -> ServiceSpec:
    """orders -> payments (HTTP); orders -> paid-filter (logic) -> notifications; orders -> db."""
    raw = {
        "project": {"id": "p1", "name": "shop"},
        "graph": {
            "nodes": [
                node("o", 1, "orders", "crud"),
                node("p", 1, "payments", "payment"),
                node("n", 1, "notifications", "notification"),
                node("f", 4, "paid-filter", "logic"),
                node("d", 2, "orders-db", "postgres"),
                node("g", 3, "api-gateway", "gateway"),
            ],
            "edges": [
                {"id": "o-p", "source": "o", "target": "p", "type": 2},
                {"id": "o-f", "source": "o", "target": "f", "type": 2},
                {"id": "f-n", "source": "f", "target": "n", "type": 2},
                {"id": "o-d", "source": "o", "target": "d", "type": 3},
                {"id": "g-o", "source": "g", "target": "o", "type": 2},
            ],
        },
    }
    graph = parse_graph(raw).graph
    ids = {"orders": "o", "api-gateway": "g"}
    return build_service_spec(graph, ids[name], "shop")


def controller(skip: str = "", extra: str = "") -> str:
    handlers = {
        "create": "@MessagePattern('orders.create')\n  create(@Payload() dto: CreateOrderDto)",
        "findAll": "@MessagePattern('orders.findAll')\n  findAll(@Payload() q: ListOrdersDto)",
        "findOne": "@MessagePattern('orders.findOne')\n  findOne(@Payload() id: string)",
        "update": "@MessagePattern('orders.update')\n  update(@Payload() dto: UpdateOrderDto)",
        "remove": "@MessagePattern('orders.remove')\n  remove(@Payload() id: string)",
        "health": "@MessagePattern('orders.health')\n  health()",
    }
    body = "\n\n".join(
        f"  {code}: Promise<unknown> {{ return this.orders.run(); }}"
        for action, code in handlers.items()
        if action != skip
    )
    return (
        "import { Controller } from '@nestjs/common';\n"
        "import { MessagePattern, EventPattern, Payload } from '@nestjs/microservices';\n\n"
        "@Controller()\nexport class OrdersController {\n"
        "  constructor(private readonly orders: OrdersService) {}\n\n"
        f"{body}\n{extra}}}\n"
    )


SERVICE_SOURCE = """\
import { Inject, Injectable } from '@nestjs/common';
import { ClientProxy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';

@Injectable()
export class OrdersService {
  constructor(@Inject('PAYMENTS') private readonly payments: ClientProxy) {}

  async checkout(orderId: string): Promise<void> {
    await lastValueFrom(this.payments.send('payments.charge', { orderId }));
    this.payments.emit('notifications.send', { orderId });
  }

  async run(): Promise<unknown> {
    return PAYMENT_CALL;
  }
}
"""


def bundle(source: str = "", service: str = SERVICE_SOURCE) -> list[GeneratedFile]:
    return [
        GeneratedFile(path="package.json", content="{}"),
        GeneratedFile(path=CONTROLLER, content=source or controller()),
        GeneratedFile(path=SERVICE, content=service),
    ]


def test_a_complete_bundle_passes_all_three_levels() -> None:
    levels = contract_levels(spec_of(), bundle())
    assert levels.errors == []
    assert (
        levels.contract_passed,
        levels.health_check_passed,
        levels.contract_discovery_passed,
    ) == (True, True, True)
    assert len(levels.contracts.contracts) == 6
    assert [c.pattern for c in levels.calls] == ["payments.charge", "notifications.send"]


def test_missing_handler_for_an_implied_pattern_is_an_error_in_the_controller() -> None:
    levels = contract_levels(spec_of(), bundle(controller(skip="remove")))
    assert not levels.contract_passed
    assert levels.health_check_passed and levels.contract_discovery_passed
    [error] = levels.errors
    assert error.level is ValidationLevel.CONTRACT
    assert "'orders.remove'" in error.message
    assert error.file == CONTROLLER


def test_an_event_handler_does_not_answer_an_implied_request_pattern() -> None:
    extra = "  @EventPattern('orders.remove')\n  onRemove(@Payload() id: string) {}\n"
    files = bundle(controller(skip="remove", extra=extra))
    findings = contract_findings(spec_of(), discover_contracts(files), files)
    [error] = findings.errors
    assert "orders.remove" in error.message and "@EventPattern" in error.message


def test_no_health_handler_fails_health_check_only() -> None:
    files = bundle(controller(skip="health"))
    contracts = discover_contracts(files)
    health = health_findings(spec_of(), contracts, files)
    assert not health.passed
    [error] = health.errors
    assert error.level is ValidationLevel.HEALTH_CHECK
    assert "orders.health" in error.message and error.file == CONTROLLER
    assert contract_findings(spec_of(), contracts, files).passed  # one finding per cause


def test_an_http_health_route_satisfies_health_and_contract_levels() -> None:
    terminus = """\
import { Controller, Get } from '@nestjs/common';
import { HealthCheck, HealthCheckService } from '@nestjs/terminus';

@Controller('health')
export class HealthController {
  constructor(private health: HealthCheckService) {}

  @Get()
  @HealthCheck()
  check() {
    return this.health.check([]);
  }
}
"""
    files = [
        *bundle(controller(skip="health")),
        GeneratedFile(path="src/health/health.controller.ts", content=terminus),
    ]
    levels = contract_levels(spec_of(), files)
    assert levels.health_check_passed and levels.contract_passed, levels.errors


def test_a_call_to_a_missing_dependency_pattern_is_located() -> None:
    service = SERVICE_SOURCE.replace("'payments.charge'", "'payments.capture'")
    levels = contract_levels(spec_of(), bundle(service=service))
    assert not levels.contract_passed
    [error] = levels.errors
    assert error.level is ValidationLevel.CONTRACT
    assert "payments.capture" in error.message and "payments.charge" in error.message
    assert error.file == SERVICE
    assert error.line == 10


def test_calls_outside_the_graph_are_warnings() -> None:
    service = SERVICE_SOURCE.replace(
        "this.payments.emit('notifications.send', { orderId });",
        "await lastValueFrom(this.inventory.send('inventory.reserve', { orderId }));\n"
        "    this.bus.emit('inventory.changed', { orderId });\n"
        "    this.payments.emit('payments.refunded', { orderId });",
    )
    findings = contract_findings(spec_of(), discover_contracts(bundle()), bundle(service=service))
    assert findings.passed
    messages = {(w.line, w.message.split("(")[0]) for w in findings.warnings}
    assert (11, "this.inventory.send") in messages
    assert (13, "this.payments.emit") in messages
    assert not [w for w in findings.warnings if "inventory.changed" in w.message]


def test_dependency_contracts_make_event_checks_strict() -> None:
    service = SERVICE_SOURCE.replace("'notifications.send'", "'payments.refunded'")
    files = bundle(service=service)
    known = {
        "payments": ContractSet(
            contracts=[Contract(pattern="payments.charge"), Contract(pattern="payments.health")]
        )
    }
    findings = contract_findings(
        spec_of(), discover_contracts(files), files, dependency_contracts=known
    )
    [error] = findings.errors
    assert "payments.refunded" in error.message and error.line == 11


def test_an_unused_dependency_is_a_warning() -> None:
    service = "export class OrdersService { run() { return 1; } }\n"
    levels = contract_levels(spec_of(), bundle(service=service))
    assert levels.contract_passed
    assert any("never calls" in w.message and "payments" in w.message for w in levels.warnings)


def test_duplicate_patterns_are_errors_with_both_locations() -> None:
    extra = "  @MessagePattern('orders.create')\n  createAgain(@Payload() dto: CreateOrderDto) {}\n"
    source = controller(extra=extra)
    files = bundle(source)
    findings = discovery_findings(spec_of(), discover_contracts(files), files)
    [error] = findings.errors
    first = 1 + source.splitlines().index("  @MessagePattern('orders.create')")
    second = len(source.splitlines()) - 2
    assert f"{CONTROLLER}:{first}" in error.message
    assert f"{CONTROLLER}:{second}" in error.message
    assert (error.file, error.line) == (CONTROLLER, second)


def test_repeated_event_handlers_are_only_a_warning() -> None:
    extra = (
        "  @EventPattern('payments.charged')\n  audit(@Payload() e: ChargedEvent) {}\n"
        "  @EventPattern('payments.charged')\n  ship(@Payload() e: ChargedEvent) {}\n"
    )
    files = bundle(controller(extra=extra))
    findings = discovery_findings(spec_of(), discover_contracts(files), files)
    assert findings.passed
    assert any("payments.charged" in w.message for w in findings.warnings)


def test_discovery_level_shapes() -> None:
    extra = (
        "  @MessagePattern({ cmd: 'get_user' })\n  legacy(@Payload() id: string) {}\n"
        "  @MessagePattern('users.find')\n  foreign(@Payload() id: string) {}\n"
        "  @MessagePattern('orders.count')\n  count() {}\n"
        "  @MessagePattern(`${DYNAMIC}`)\n  dynamic() {}\n"
    )
    files = bundle(controller(extra=extra))
    findings = discovery_findings(spec_of(), discover_contracts(files), files)
    assert findings.passed
    text = "\n".join(w.message for w in findings.warnings)
    assert '\'{"cmd":"get_user"}\' of legacy does not follow' in text
    assert "'users.find' of foreign is outside the 'orders.' namespace" in text
    assert "handler count of 'orders.count' declares no payload type" in text
    assert "cannot resolve the pattern" in text
    assert "health" not in text


def test_an_empty_bundle_fails_discovery() -> None:
    files = [GeneratedFile(path="src/main.ts", content="bootstrap();\n")]
    levels = contract_levels(spec_of(), files)
    assert not levels.contract_discovery_passed
    assert not levels.health_check_passed
    assert any(e.level is ValidationLevel.CONTRACT_DISCOVERY for e in levels.errors)
    assert all(e.file is None for e in levels.errors)


def test_gateway_with_http_health_and_results_merge_into_validation() -> None:
    gateway = """\
@Controller()
export class AppController {
  constructor(@Inject('ORDERS') private readonly orders: ClientProxy) {}

  @Get('/health')
  health() { return { status: 'ok' }; }

  @Post('orders')
  create(@Body() dto: unknown) { return this.orders.send('orders.create', dto); }
}
"""
    files = [GeneratedFile(path="src/app.controller.ts", content=gateway)]
    levels = contract_levels(spec_of("api-gateway"), files)
    assert levels.contract_passed and levels.health_check_passed
    assert not levels.contract_discovery_passed
    merged = levels.apply(ValidationResult(structural_passed=True))
    assert merged.structural_passed and merged.contract_passed
    assert merged.contract_discovery_passed is False and not merged.passed
    assert merged.errors == levels.errors
