"""The built-in generator: deterministic, complete, safe NestJS bundles for every node kind."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.static.jsonc import strip_comments
from codegen_tasks.checks.static.structural import structural_findings
from codegen_tasks.domain.files import GeneratedFile, check_files
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec, called_targets
from codegen_tasks.generation.scaffold import SCAFFOLD_VERSION, render_service
from codegen_tasks.generation.scaffold.naming import camel, constant, pascal, ts_string
from codegen_tasks.platform import load_platform
from codegen_tasks.settings import Settings
from tests.examples import SHOP_GRAPH

SHOP = SHOP_GRAPH


def shop_specs() -> dict[str, ServiceSpec]:
    parsed = parse_graph(json.loads(SHOP.read_text(encoding="utf-8")))
    return {
        node.name: build_service_spec(parsed.graph, node.id, parsed.project.name)
        for node in parsed.graph.code_nodes()
    }


def by_path(files: list[GeneratedFile]) -> dict[str, str]:
    return {f.path: f.content for f in files}


def spec_from(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], name: str) -> ServiceSpec:
    """The spec of node `name` in a small graph built from raw node and edge dicts."""
    raw = {"project": {"id": "p", "name": "demo"}, "graph": {"nodes": nodes, "edges": edges}}
    graph = parse_graph(raw).graph
    node = next(n for n in graph.nodes if n.name == name)
    return build_service_spec(graph, node.id, "demo")


SPECS = shop_specs()


def test_version_is_set() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", SCAFFOLD_VERSION)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_rendering_is_deterministic_and_sorted(name: str) -> None:
    first = render_service(SPECS[name])
    second = render_service(shop_specs()[name])
    assert [f.model_dump() for f in first] == [f.model_dump() for f in second]
    assert [f.path for f in first] == sorted(f.path for f in first)


@pytest.mark.parametrize("name", sorted(SPECS))
def test_every_service_has_the_required_files(name: str) -> None:
    files = by_path(render_service(SPECS[name]))
    required = [
        "package.json",
        "tsconfig.json",
        "README.md",
        "src/main.ts",
        "src/app.module.ts",
        f"src/{name}/{name}.module.ts",
        f"src/{name}/{name}.controller.ts",
    ]
    assert [p for p in required if p not in files] == []
    assert "import 'reflect-metadata';" in files["src/main.ts"]
    assert f"./{name}/{name}.module" in files["src/app.module.ts"]
    assert structural_findings(render_service(SPECS[name])) == []


@pytest.mark.parametrize("name", sorted(SPECS))
def test_paths_pass_the_bundle_rules(name: str) -> None:
    files = render_service(SPECS[name])
    settings = Settings(_env_file=None)
    checked = check_files(
        files, max_files=settings.max_files, max_file_bytes=settings.max_file_bytes
    )
    assert [f.path for f in checked] == [f.path for f in files]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_handler_per_action_and_a_health_handler(name: str) -> None:
    spec = SPECS[name]
    controller = by_path(render_service(spec))[f"src/{name}/{name}.controller.ts"]
    for action in spec.actions:
        pattern = f"@MessagePattern('{name}.{action}')"
        assert pattern in controller
        handler = controller.split(pattern, 1)[1].split("\n", 2)[1]
        assert "@Payload() dto: " in handler and "): Promise<" in handler
    assert f"@MessagePattern('{name}.health')" in controller
    assert f"return {{ status: 'ok', service: '{name}' }};" in controller


@pytest.mark.parametrize("name", sorted(SPECS))
def test_a_client_per_called_service(name: str) -> None:
    spec = SPECS[name]
    files = by_path(render_service(spec))
    targets = called_targets(spec)
    for target in targets:
        client = files[f"src/clients/{target.name}.client.ts"]
        assert f"export class {pascal(target.name)}Client" in client
        for action in [*target.actions, "health"]:
            assert "firstValueFrom(this.client.send<" in client
            assert f"('{target.name}.{action}', " in client
        module = files["src/clients/clients.module.ts"]
        assert f"process.env.{constant(target.name)}_PORT" in module
        assert "transport: Transport.TCP" in module
    if not targets:
        assert not any(p.startswith("src/clients/") for p in files)


def test_shop_calls_the_expected_services() -> None:
    assert {t.name for t in called_targets(SPECS["orders"])} == {"catalog", "payments"}
    assert {t.name for t in called_targets(SPECS["api-gateway"])} == {"users", "catalog", "orders"}


def test_package_json_pins_the_platform_versions() -> None:
    pins = load_platform().versions
    for name in SPECS:
        manifest = json.loads(by_path(render_service(SPECS[name]))["package.json"])
        assert manifest["name"] == name
        assert set(manifest["scripts"]) >= {"build", "start"}
        deps, dev = manifest["dependencies"], manifest["devDependencies"]
        for package in ("@nestjs/common", "@nestjs/core", "@nestjs/microservices", "rxjs"):
            assert deps[package] == pins[package]
        assert deps["reflect-metadata"] == pins["reflect-metadata"]
        assert dev["@types/node"] == pins["@types/node"]
        assert dev["typescript"] == pins["typescript"]
    gateway = json.loads(by_path(render_service(SPECS["api-gateway"]))["package.json"])
    assert "@nestjs/platform-express" in gateway["dependencies"]


def test_tsconfig_has_the_decorator_options() -> None:
    options = json.loads(by_path(render_service(SPECS["users"]))["tsconfig.json"])[
        "compilerOptions"
    ]
    assert options["module"] == "commonjs" and options["outDir"] == "dist"
    assert options["strict"] and options["experimentalDecorators"]
    assert options["emitDecoratorMetadata"]


def test_microservice_bootstrap_reads_host_and_port_from_env() -> None:
    main = by_path(render_service(SPECS["payments"]))["src/main.ts"]
    assert "NestFactory.createMicroservice<MicroserviceOptions>(AppModule" in main
    assert "transport: Transport.TCP" in main
    assert "process.env.HOST" in main and "process.env.PORT" in main


def test_gateway_is_a_hybrid_app_with_forwarding_routes() -> None:
    files = by_path(render_service(SPECS["api-gateway"]))
    main = files["src/main.ts"]
    assert "NestFactory.create(AppModule)" in main and "app.connectMicroservice" in main
    controller = files["src/api-gateway/api-gateway.controller.ts"]
    for route in (
        "@Get('/health')",
        "@Get('/catalog')",
        "@Post('/orders')",
        "@Post('/users/login')",
    ):
        assert route in controller
    assert "@MessagePattern('api-gateway.health')" in controller
    assert "export class ApiGatewayController" in controller
    assert "platform-express" not in controller
    # `/x/health` is registered before `/x/:id`, so it is not captured as an id
    assert controller.index("'/orders/health'") < controller.index("'/orders/:id'")


def test_database_fields_type_the_entity() -> None:
    files = by_path(render_service(SPECS["orders"]))
    repository = files["src/database/orders-db.repository.ts"]
    assert "export interface OrdersDbRecord {" in repository
    for declaration in (
        "id: string;",
        "userId: string;",
        "totalCents: number;",
        "status?: string;",
    ):
        assert declaration in repository
    dto = files["src/orders/dto/crud.dto.ts"]
    assert "export type OrdersEntity = OrdersDbRecord;" in dto
    create = dto.split("export class OrdersCreateDto {", 1)[1].split("}", 1)[0]
    assert "userId!: string;" in create and "totalCents!: number;" in create
    assert "id!:" not in create  # the key is generated, not sent


def test_logic_expression_becomes_a_typed_predicate_on_the_writes() -> None:
    files = by_path(render_service(SPECS["orders"]))
    logic = strip_comments(files["src/logic/paid-filter.ts"])
    assert "export function paidFilter(input: OrdersEntity): boolean {" in logic
    wide = "Widened<OrdersEntity> & Readonly<Record<string, unknown>>"
    assert f"const data = input as {wide};" in logic
    assert "type Widened<T> = {" in logic  # literal unions compare with any value
    assert "return Boolean(data.status === 'paid');" in logic
    events = strip_comments(files["src/logic/events.ts"])
    for pattern in ("notifications.ordersCreated", "notifications.ordersUpdated"):
        assert f"this.notificationsEvents.emit('{pattern}', data)" in events
    assert events.count("if (paidFilter(data))") == 2
    controller = strip_comments(files["src/orders/orders.controller.ts"])
    assert "await this.events.afterCreate(result);" in controller
    assert "await this.events.afterUpdate(result);" in controller
    assert "afterFindOne" not in controller and "afterRemove" not in controller
    module = files["src/logic/events.module.ts"]
    assert "process.env.NOTIFICATIONS_PORT" in module


def test_forward_targets_get_event_handlers() -> None:
    controller = by_path(render_service(SPECS["notifications"]))[
        "src/notifications/notifications.controller.ts"
    ]
    for pattern in ("notifications.ordersCreated", "notifications.ordersUpdated"):
        assert f"@EventPattern('{pattern}')" in controller
        assert f"this.service.recordEvent('{pattern}', event);" in controller
    assert (
        "@EventPattern"
        not in by_path(render_service(SPECS["catalog"]))["src/catalog/catalog.controller.ts"]
    )


def test_behaviours_are_real() -> None:
    users = by_path(render_service(SPECS["users"]))["src/users/users.service.ts"]
    assert "scrypt(" in users and "createHmac('sha256'" in users and "timingSafeEqual" in users
    payments = by_path(render_service(SPECS["payments"]))["src/payments/payments.service.ts"]
    assert "this.payments.get(dto.orderId)" in payments
    notifications = by_path(render_service(SPECS["notifications"]))
    assert (
        "this.sent.push(notification)"
        in notifications["src/notifications/notifications.service.ts"]
    )


def test_identifiers_from_service_names() -> None:
    assert (pascal("api-gateway"), camel("api-gateway"), constant("api-gateway")) == (
        "ApiGateway",
        "apiGateway",
        "API_GATEWAY",
    )
    assert pascal("findAll") == "FindAll" and pascal("v2-api") == "V2Api"
    assert ts_string("it's \\ é\n") == "'it\\'s \\\\ \\u00e9\\u000a'"


EVIL = "Ends a comment */ console.log('pwned'); /* and <b>html</b> and `ticks` | pipes"


def edge_case_nodes() -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """A service with odd actions, odd field names, a numeric key and hostile descriptions."""
    fields = [
        {"name": "seq", "type": "integer", "primaryKey": True},
        {"name": "display-name", "type": "varchar(40)", "required": True},
        {"name": "tags", "type": "text[]"},
        {"name": "meta", "type": "jsonb"},
        {"name": "active", "type": "boolean", "required": True},
        {"name": "weird", "type": "geometry"},
    ]
    nodes = [
        {
            "id": "n1",
            "type": "service",
            "data": {
                "serviceName": "app",
                "blueprintId": "custom",
                "config": {
                    "description": EVIL,
                    "actions": [
                        "create",
                        "reserve-stock",
                        "health",
                        "create",
                        "send",
                        "reserveStock",
                    ],
                },
            },
        },
        {
            "id": "n2",
            "type": "database",
            "data": {"serviceName": "app-db", "config": {"fields": fields}},
        },
        {"id": "n3", "type": "database", "data": {"serviceName": "app-db", "config": {}}},
        {
            "id": "n4",
            "type": "service",
            "data": {"serviceName": "v2-api", "config": {"actions": ["do it!"]}},
        },
        {
            "id": "n5",
            "type": "gateway",
            "data": {"serviceName": "edge", "config": {"description": EVIL}},
        },
        {
            "id": "n6",
            "type": "logic",
            "data": {"serviceName": "gate", "config": {"expression": "data !== null && '*/' > ''"}},
        },
    ]
    edges = [
        {"id": "e1", "source": "n1", "target": "n2", "type": "database"},
        {"id": "e2", "source": "n1", "target": "n3", "type": "database"},
        {"id": "e3", "source": "n1", "target": "n4", "type": "http"},
        {"id": "e3b", "source": "n1", "target": "n4", "type": "http"},
        {"id": "e4", "source": "n5", "target": "n4", "type": "http"},
        {"id": "e5", "source": "n5", "target": "n1", "type": "http"},
        {"id": "e6", "source": "n1", "target": "n6", "type": "http"},
        {"id": "e7", "source": "n6", "target": "n4", "type": "http"},
    ]
    return nodes, edges


def edge_case_specs() -> dict[str, ServiceSpec]:
    nodes, edges = edge_case_nodes()
    return {name: spec_from(nodes, edges, name) for name in ("app", "v2-api", "edge")}


@pytest.mark.parametrize("name", ["app", "v2-api", "edge"])
def test_edge_cases_render_safely(name: str) -> None:
    spec = edge_case_specs()[name]
    files = render_service(spec)
    assert structural_findings(files) == []
    assert [f.path for f in files] == [f.path for f in render_service(spec)]
    for file in files:
        if file.path.endswith(".ts"):
            code = strip_comments(file.content)
            assert "pwned" not in code
    controller = by_path(files)[f"src/{name}/{name}.controller.ts"]
    assert controller.count(f"@MessagePattern('{name}.health')") == 1


def test_edge_case_handlers_are_unique_and_escaped() -> None:
    files = by_path(render_service(edge_case_specs()["app"]))
    controller = files["src/app/app.controller.ts"]
    for action in ("create", "reserve-stock", "send", "reserveStock"):
        assert controller.count(f"@MessagePattern('app.{action}')") == 1
    assert "import { AppModule as AppDomainModule }" in files["src/app.module.ts"]
    assert "src/clients/v2-api.client.ts" in files
    assert "('v2-api.do it!', payload)" in files["src/clients/v2-api.client.ts"]
    repository = files["src/database/app-db.repository.ts"]
    assert "'display-name': string;" in repository and "seq: number;" in repository
    assert "tags?: string[];" in repository and "meta?: Record<string, unknown>;" in repository
    assert "src/database/app-db2.repository.ts" in files
