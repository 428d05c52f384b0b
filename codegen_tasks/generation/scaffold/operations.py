"""Payment (idempotent by orderId), notification (records what it sends) and generic actions."""

from __future__ import annotations

from codegen_tasks.generation.scaffold.contracts import (
    CONTRACTS,
    render_contract_types,
    request_name,
)
from codegen_tasks.generation.scaffold.naming import camel, pascal, ts_string, unique_names
from codegen_tasks.generation.scaffold.source import (
    EXPECT_FIELD_HELPER,
    RPC_ERROR_HELPER,
    RPC_EXCEPTION,
    Handler,
    Part,
    fill,
)

MAX_KEPT = 1000  # in-memory logs keep the most recent entries only

_PAYMENT_METHODS: dict[str, str] = {
    "charge": """async charge(dto: <<prefix>>ChargeDto): Promise<<<prefix>>Payment> {
  expectField(dto?.orderId, 'orderId', 'string', false);
  expectField(dto?.amountCents, 'amountCents', 'number', false);
  expectField(dto?.currency, 'currency', 'string', true);
  if (!Number.isInteger(dto.amountCents) || dto.amountCents <= 0) {
    throw rpcError(400, 'amountCents must be a positive integer');
  }
  const currency = (dto.currency ?? 'USD').toUpperCase();
  const existing = this.payments.get(dto.orderId);
  if (existing !== undefined) {
    if (existing.amountCents !== dto.amountCents || existing.currency !== currency) {
      throw rpcError(409, `order ${dto.orderId} was already charged with another amount`);
    }
    return existing; // idempotent: the same order is charged once
  }
  const payment: <<prefix>>Payment = {
    id: randomUUID(),
    orderId: dto.orderId,
    amountCents: dto.amountCents,
    currency,
    status: 'charged',
    chargedAt: new Date().toISOString(),
  };
  this.payments.set(dto.orderId, payment);
  return payment;
}""",
    "refund": """async refund(dto: <<prefix>>RefundDto): Promise<<<prefix>>Payment> {
  expectField(dto?.orderId, 'orderId', 'string', false);
  const payment = this.payments.get(dto.orderId);
  if (payment === undefined) {
    throw rpcError(404, `no payment for order ${dto.orderId}`);
  }
  if (payment.status === 'refunded') {
    return payment; // idempotent: refunding twice changes nothing
  }
  const refunded: <<prefix>>Payment = {
    ...payment,
    status: 'refunded',
    refundedAt: new Date().toISOString(),
  };
  this.payments.set(dto.orderId, refunded);
  return refunded;
}""",
}

_SEND = """async send(dto: <<prefix>>SendDto): Promise<<<prefix>>Notification> {
  expectField(dto?.to, 'to', 'string', false);
  expectField(dto?.subject, 'subject', 'string', false);
  expectField(dto?.body, 'body', 'string', false);
  expectField(dto?.channel, 'channel', 'string', true);
  const notification: <<prefix>>Notification = {
    id: randomUUID(),
    to: dto.to,
    subject: dto.subject,
    body: dto.body,
    channel: dto.channel ?? 'email',
    sentAt: new Date().toISOString(),
  };
  this.sent.push(notification);
  if (this.sent.length > <<max>>) {
    this.sent.shift();
  }
  this.logger.log(`recorded ${notification.channel} notification ${notification.id}`);
  return notification;
}"""

_GENERIC = """async <<method>>(dto: <<req>>): Promise<<<prefix>>Receipt> {
  return this.receive(<<action>>, dto);
}"""

_RECEIVE = """private receive(action: string, payload: unknown): <<prefix>>Receipt {
  const body = typeof payload === 'object' && payload !== null ? payload : { value: payload };
  const receipt: <<prefix>>Receipt = {
    id: randomUUID(),
    action,
    receivedAt: new Date().toISOString(),
    payload: { ...body },
  };
  this.received.push(receipt);
  if (this.received.length > <<max>>) {
    this.received.shift();
  }
  return receipt;
}"""

_COMMON_HELPERS = (RPC_ERROR_HELPER, EXPECT_FIELD_HELPER)
_UUID = ("node:crypto", "randomUUID")


def _contract_handlers(prefix: str, actions: list[str]) -> tuple[Handler, ...]:
    return tuple(
        Handler(a, a, request_name(prefix, a, "Dto"), prefix + CONTRACTS[a].response_name)
        for a in actions
    )


def _contract_dtos(prefix: str, actions: list[str]) -> str:
    return "\n\n".join(render_contract_types(prefix, actions, client=False)) + "\n"


def payment_part(name: str, actions: list[str]) -> Part:
    prefix = pascal(name)
    return Part(
        dto_file="payment.dto.ts",
        dto_source=_contract_dtos(prefix, actions),
        handlers=_contract_handlers(prefix, actions),
        methods=tuple(fill(_PAYMENT_METHODS[a], prefix=prefix) for a in actions),
        service_imports=frozenset({RPC_EXCEPTION, _UUID}),
        members=(f"private readonly payments = new Map<string, {prefix}Payment>(); // by orderId",),
        helpers=_COMMON_HELPERS,
    )


def notification_part(name: str, actions: list[str]) -> Part:
    prefix = pascal(name)
    return Part(
        dto_file="notification.dto.ts",
        dto_source=_contract_dtos(prefix, actions),
        handlers=_contract_handlers(prefix, actions),
        methods=(fill(_SEND, prefix=prefix, max=str(MAX_KEPT)),),
        service_imports=frozenset({RPC_EXCEPTION, _UUID, ("@nestjs/common", "Logger")}),
        members=(
            f"private readonly logger = new Logger({ts_string(prefix + 'Service')});",
            f"private readonly sent: {prefix}Notification[] = [];",
        ),
        helpers=_COMMON_HELPERS,
    )


def generic_part(name: str, actions: list[str], taken: frozenset[str]) -> Part:
    """Actions without built-in behaviour: validated, recorded and acknowledged."""
    prefix = pascal(name)
    methods = unique_names([camel(a) for a in actions], taken)
    handlers = tuple(
        Handler(a, m, request_name(prefix, m, "Dto"), f"{prefix}Receipt")
        for a, m in zip(actions, methods, strict=True)
    )
    bodies = [
        fill(_GENERIC, method=h.method, req=h.request, prefix=prefix, action=ts_string(h.action))
        for h in handlers
    ]
    bodies.append(fill(_RECEIVE, prefix=prefix, max=str(MAX_KEPT)))
    dtos = [
        f"/** Payload of `{name}.{h.method}`. */\nexport class {h.request} {{\n"
        "  [key: string]: unknown;\n}"
        for h in handlers
    ]
    receipt = (
        f"export interface {prefix}Receipt {{\n  id: string;\n  action: string;\n"
        "  receivedAt: string;\n  payload: Record<string, unknown>;\n}"
    )
    return Part(
        dto_file="actions.dto.ts",
        dto_source="\n\n".join([*dtos, receipt]) + "\n",
        handlers=handlers,
        methods=tuple(bodies),
        service_imports=frozenset({_UUID}),
        members=(f"private readonly received: {prefix}Receipt[] = [];",),
    )


_RECEIVED = """recordEvent(pattern: string, event: <<prefix>>Event): void {
  this.receivedEvents.push({ pattern, event, receivedAt: new Date().toISOString() });
  if (this.receivedEvents.length > <<max>>) {
    this.receivedEvents.shift();
  }
  this.eventLogger.log(`received ${pattern}`);
}"""


def events_part(name: str) -> Part:
    """Events forwarded to this service by LOGIC nodes: logged and kept (most recent)."""
    prefix = pascal(name)
    entry = f"{{ pattern: string; event: {prefix}Event; receivedAt: string }}"
    return Part(
        dto_file="events.dto.ts",
        dto_source=f"/** An event forwarded to {name} by a LOGIC node: the producer's result, any"
        " object (its own interface is the producer's). */\n"
        f"export type {prefix}Event = object;\n",
        handlers=(),
        methods=(fill(_RECEIVED, prefix=prefix, max=str(MAX_KEPT)),),
        service_imports=frozenset(
            {("@nestjs/common", "Logger"), ("./dto/events.dto", f"{prefix}Event")}
        ),
        members=(
            f"private readonly eventLogger = new Logger({ts_string(prefix + 'Events')});",
            f"private readonly receivedEvents: {entry}[] = [];",
        ),
    )
