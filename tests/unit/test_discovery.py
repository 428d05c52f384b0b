"""Static discovery of NestJS message handlers, calls and routes with tree-sitter."""

from __future__ import annotations

from codegen_tasks.checks.contracts import (
    called_patterns,
    canonical_pattern,
    discover,
    discover_contracts,
)
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract, ValidationLevel


def line(source: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth line containing `needle`."""
    hits = [i + 1 for i, text in enumerate(source.splitlines()) if needle in text]
    return hits[nth - 1]


def by_pattern(contracts: list[Contract]) -> dict[str, Contract]:
    return {c.pattern: c for c in contracts}


MATH_CONTROLLER = """\
import { Controller } from '@nestjs/common';
import { MessagePattern, EventPattern } from '@nestjs/microservices';

@Controller()
export class MathController {
  @MessagePattern({ cmd: 'sum' })
  accumulate(data: number[]): number {
    return (data || []).reduce((a, b) => a + b);
  }

  @EventPattern('user_created')
  async handleUserCreated(data: Record<string, unknown>) {
    // business logic
  }
}
"""

ORDERS_PATTERNS = """\
export const ORDERS = 'orders';

export const ORDER_PATTERNS = {
  CREATE: `${ORDERS}.create`,
  FIND_ALL: ORDERS + '.findAll',
  FIND_ONE: 'orders.findOne',
} as const;

export enum OrderEvent {
  Created = 'orders.created',
  Cancelled = "orders.cancelled",
}

export class PaymentPatterns {
  static readonly CHARGE = 'payments.charge';
}
"""

ORDERS_CONTROLLER = """\
import { Controller, Inject } from '@nestjs/common';
import {
  ClientProxy, Ctx, EventPattern, MessagePattern, Payload, RmqContext, Transport,
} from '@nestjs/microservices';
import { Observable, lastValueFrom } from 'rxjs';
import { ORDER_PATTERNS as P, OrderEvent, PaymentPatterns } from './orders.patterns';
import * as patterns from './orders.patterns';
import { OrdersService } from './orders.service';

@Controller()
export class OrdersController {
  constructor(
    private readonly ordersService: OrdersService,
    @Inject('PAYMENTS_SERVICE') private readonly payments: ClientProxy,
  ) {}

  /**
   * Creates an order and charges it.
   * @param dto the cart to turn into an order
   * @returns the stored order
   */
  @MessagePattern(P.CREATE, Transport.TCP)
  async create(@Payload() dto: CreateOrderDto, @Ctx() context: RmqContext): Promise<Order> {
    const order = await this.ordersService.create(dto);
    const charge = { orderId: order.id };
    await lastValueFrom(this.payments.send<ChargeResult>(PaymentPatterns.CHARGE, charge));
    return order;
  }

  // Lists every order of a user,
  // newest first.
  @MessagePattern(patterns.ORDER_PATTERNS.FIND_ALL)
  findAll(@Ctx() context: RmqContext): Observable<Order[]> {
    return this.ordersService.findAll();
  }

  @MessagePattern(P['FIND_ONE'])
  @MessagePattern({ cmd: 'get_order', role: 'order' })
  findOne(@Payload('id') id: string): Promise<Observable<Order | null>> {
    return this.ordersService.findOne(id);
  }

  @EventPattern(OrderEvent.Created)
  @MessagePattern('orders.created.ack')
  onCreated(event: OrderCreatedEvent, @Ctx() context: RmqContext): void {
    this.payments.emit(`payments.audit`, event);
  }
}
"""


def orders_bundle() -> list[GeneratedFile]:
    return [
        GeneratedFile(path="src/orders/orders.patterns.ts", content=ORDERS_PATTERNS),
        GeneratedFile(path="src/orders/orders.controller.ts", content=ORDERS_CONTROLLER),
    ]


def test_docs_style_object_and_event_patterns() -> None:
    files = [GeneratedFile(path="src/math.controller.ts", content=MATH_CONTROLLER)]
    contracts = by_pattern(discover_contracts(files).contracts)
    assert set(contracts) == {'{"cmd":"sum"}', "user_created"}
    summed = contracts['{"cmd":"sum"}']
    assert (summed.type, summed.handler, summed.request_type, summed.response_type) == (
        "request",
        "accumulate",
        "number[]",
        "number",
    )
    assert summed.line == line(MATH_CONTROLLER, "@MessagePattern")
    created = contracts["user_created"]
    assert created.type == "event"
    assert created.request_type == "Record<string, unknown>"
    assert created.response_type is None


def test_constants_imported_from_another_file_are_resolved() -> None:
    contracts = by_pattern(discover_contracts(orders_bundle()).contracts)
    assert {
        "orders.create",
        "orders.findAll",
        "orders.findOne",
        '{"cmd":"get_order","role":"order"}',
        "orders.created",
        "orders.created.ack",
    } == set(contracts)
    create = contracts["orders.create"]
    assert create.file == "src/orders/orders.controller.ts"
    assert create.line == line(ORDERS_CONTROLLER, "@MessagePattern(P.CREATE")
    assert create.handler == "create"


def test_payload_and_return_types() -> None:
    contracts = by_pattern(discover_contracts(orders_bundle()).contracts)
    create = contracts["orders.create"]
    assert (create.request_type, create.response_type) == ("CreateOrderDto", "Order")
    find_all = contracts["orders.findAll"]
    assert (find_all.request_type, find_all.response_type) == (None, "Order[]")
    find_one = contracts["orders.findOne"]
    assert (find_one.request_type, find_one.response_type) == ("string", "Order | null")
    on_created = contracts["orders.created"]
    assert (on_created.request_type, on_created.response_type) == ("OrderCreatedEvent", "void")


def test_descriptions_come_from_jsdoc_and_line_comments() -> None:
    contracts = by_pattern(discover_contracts(orders_bundle()).contracts)
    assert contracts["orders.create"].description == "Creates an order and charges it."
    assert contracts["orders.findAll"].description == "Lists every order of a user, newest first."
    assert contracts["orders.findOne"].description is None


def test_every_decorator_of_a_method_is_a_contract() -> None:
    contracts = discover_contracts(orders_bundle()).contracts
    on_created = [c for c in contracts if c.handler == "onCreated"]
    assert [(c.pattern, c.type) for c in on_created] == [
        ("orders.created", "event"),
        ("orders.created.ack", "request"),
    ]
    assert on_created[0].line + 1 == on_created[1].line
    assert not [c for c in contracts if c.handler == "constructor"]


def test_client_calls_are_found_with_file_and_line() -> None:
    calls = called_patterns(orders_bundle())
    assert [(c.pattern, c.method, c.receiver) for c in calls] == [
        ("payments.charge", "send", "this.payments"),
        ("payments.audit", "emit", "this.payments"),
    ]
    assert calls[0].file == "src/orders/orders.controller.ts"
    assert calls[0].line == line(ORDERS_CONTROLLER, "this.payments.send")
    assert calls[1].line == line(ORDERS_CONTROLLER, "this.payments.emit")


KAFKA_CONTROLLER = """\
import { Controller, Get, Res } from '@nestjs/common';
import { Ctx, KafkaContext, MessagePattern, Payload } from '@nestjs/microservices';

const HERO_KILL = 'hero.kill.dragon';

enum Numbered { First = 1, Second }

@Controller('heroes')
export class HeroesController {
  @MessagePattern(HERO_KILL)
  killDragon(@Ctx() context: KafkaContext, @Payload() message: KillDragonMessage): any {
    const topic = 'hero.dragon.killed';
    this.kafka.emit(topic, message);
    return { ok: true };
  }

  @MessagePattern(Numbered.Second)
  second(@Ctx() context: KafkaContext) {}

  @Get(['status', 'health'])
  status(@Res() res: Response) {
    res.send('ok');
  }
}
"""


def test_local_constants_numbers_http_routes_and_non_client_sends() -> None:
    files = [GeneratedFile(path="src/heroes.controller.ts", content=KAFKA_CONTROLLER)]
    report = discover(files)
    contracts = by_pattern(report.contracts)
    assert set(contracts) == {"hero.kill.dragon", "2"}
    assert contracts["hero.kill.dragon"].request_type == "KillDragonMessage"
    assert contracts["2"].request_type is None
    assert [(c.pattern, c.method) for c in report.calls] == [("hero.dragon.killed", "emit")]
    assert [(r.method, r.path) for r in report.routes] == [
        ("GET", "/heroes/status"),
        ("GET", "/heroes/health"),
    ]


BROKEN_CONTROLLER = """\
@Controller()
export class UsersController {
  @MessagePattern('users.findOne')
  findOne(@Payload() id: string): Promise<User> {
    return this.users.findOne(id;
  }

  @MessagePattern('users.create')
  create(@Payload() dto: CreateUserDto): Promise<User> {
    return this.users.create(dto);
  }
}
"""


def test_a_broken_file_yields_what_it_can_and_a_located_warning() -> None:
    files = [
        GeneratedFile(path="src/users/users.controller.ts", content=BROKEN_CONTROLLER),
        GeneratedFile(path="src/math.controller.ts", content=MATH_CONTROLLER),
    ]
    report = discover(files)
    patterns = {c.pattern for c in report.contracts}
    assert {"users.create", '{"cmd":"sum"}', "user_created"} <= patterns
    syntax = [w for w in report.warnings if "syntax error" in w.message]
    assert syntax, report.warnings
    assert syntax[0].file == "src/users/users.controller.ts"
    assert syntax[0].line == line(BROKEN_CONTROLLER, "this.users.findOne(id;")
    assert syntax[0].level is ValidationLevel.CONTRACT_DISCOVERY


def test_unresolvable_patterns_are_warnings_not_contracts() -> None:
    source = """\
import { getPattern } from 'some-lib';

@Controller()
export class JobsController {
  @MessagePattern(getPattern('jobs'))
  run(@Payload() job: Job) {}

  @EventPattern(UNKNOWN_EVENT)
  onEvent(data: unknown) {}

  @MessagePattern()
  nothing() {}
}
"""
    report = discover([GeneratedFile(path="src/jobs.controller.ts", content=source)])
    assert report.contracts == []
    assert [w.line for w in report.warnings] == [
        line(source, "getPattern('jobs')"),
        line(source, "UNKNOWN_EVENT"),
        line(source, "@MessagePattern()"),
    ]
    assert "getPattern('jobs')" in report.warnings[0].message


def test_same_name_in_two_files_resolves_through_the_import() -> None:
    files = [
        GeneratedFile(
            path="src/a/patterns.ts", content="export const PATTERNS = { GET: 'a.get' };"
        ),
        GeneratedFile(
            path="src/b/patterns.ts", content="export const PATTERNS = { GET: 'b.get' };"
        ),
        GeneratedFile(
            path="src/b/b.controller.ts",
            content="import { PATTERNS } from './patterns';\n"
            "export class B { @MessagePattern(PATTERNS.GET) get(@Payload() q: Q) {} }\n",
        ),
        GeneratedFile(
            path="src/c.controller.ts",
            content="export class C { @MessagePattern(PATTERNS.GET) get(q: Q) {} }\n",
        ),
    ]
    report = discover(files)
    assert [c.pattern for c in report.contracts] == ["b.get"]
    assert [w.file for w in report.warnings] == ["src/c.controller.ts"]


def test_declarations_tests_and_node_modules_are_skipped() -> None:
    source = "export class X { @MessagePattern('x.y') y(@Payload() d: D) {} }"
    files = [
        GeneratedFile(path="src/x.d.ts", content=source),
        GeneratedFile(path="node_modules/lib/x.controller.ts", content=source),
        GeneratedFile(path="src/x.controller.spec.ts", content=source),
        GeneratedFile(path="src/x.controller.js", content=source),
    ]
    assert discover_contracts(files).contracts == []
    real = [GeneratedFile(path="src/x.controller.ts", content=source)]
    assert [c.pattern for c in discover_contracts(real).contracts] == ["x.y"]


def test_canonical_object_patterns_sort_keys_at_every_depth() -> None:
    assert canonical_pattern({"role": "user", "cmd": "get"}) == '{"cmd":"get","role":"user"}'
    assert canonical_pattern({"b": {"z": 1, "a": True}, "a": "x"}) == (
        '{"a":"x","b":{"a":true,"z":1}}'
    )
    assert canonical_pattern(3) == "3"
    assert canonical_pattern(True) is None
    assert canonical_pattern(None) is None
