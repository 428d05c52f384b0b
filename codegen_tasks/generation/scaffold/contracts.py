"""Request/response shapes of the built-in actions, shared by servers and their clients."""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.generation.scaffold.fields import Field
from codegen_tasks.generation.scaffold.naming import pascal

CRUD_ACTIONS = ("create", "findAll", "findOne", "update", "remove")
AUTH_ACTIONS = ("register", "login", "verify")
PAYMENT_ACTIONS = ("charge", "refund")
NOTIFICATION_ACTIONS = ("send",)


def _f(name: str, ts: str, required: bool = True) -> Field:
    return Field(name, ts, required)


_CREDENTIALS = (_f("email", "string"), _f("password", "string"))
_ACCOUNT = (_f("id", "string"), _f("email", "string"), _f("createdAt", "string"))
_TOKEN = (_f("accessToken", "string"), _f("tokenType", "'Bearer'"), _f("expiresIn", "number"))
_VERIFICATION = (
    _f("valid", "boolean"),
    _f("userId", "string", False),
    _f("email", "string", False),
    _f("expiresAt", "string", False),
)
_PAYMENT = (
    _f("id", "string"),
    _f("orderId", "string"),
    _f("amountCents", "number"),
    _f("currency", "string"),
    _f("status", "'charged' | 'refunded'"),
    _f("chargedAt", "string"),
    _f("refundedAt", "string", False),
)
_NOTIFICATION = (
    _f("id", "string"),
    _f("to", "string"),
    _f("subject", "string"),
    _f("body", "string"),
    _f("channel", "string"),
    _f("sentAt", "string"),
)


@dataclass(frozen=True)
class ActionContract:
    request: tuple[Field, ...]
    response_name: str  # suffix after the service prefix, e.g. `Account`
    response: tuple[Field, ...]


CONTRACTS: dict[str, ActionContract] = {
    "register": ActionContract(_CREDENTIALS, "Account", _ACCOUNT),
    "login": ActionContract(_CREDENTIALS, "Token", _TOKEN),
    "verify": ActionContract((_f("token", "string"),), "Verification", _VERIFICATION),
    "charge": ActionContract(
        (_f("orderId", "string"), _f("amountCents", "number"), _f("currency", "string", False)),
        "Payment",
        _PAYMENT,
    ),
    "refund": ActionContract((_f("orderId", "string"),), "Payment", _PAYMENT),
    "send": ActionContract(
        (
            _f("to", "string"),
            _f("subject", "string"),
            _f("body", "string"),
            _f("channel", "string", False),
        ),
        "Notification",
        _NOTIFICATION,
    ),
}


def request_name(prefix: str, action: str, suffix: str) -> str:
    """`UsersRegisterDto` (server) or `UsersRegisterRequest` (client)."""
    return f"{prefix}{pascal(action)}{suffix}"


def render_class(name: str, fields: tuple[Field, ...]) -> str:
    body = "\n".join(f"  {f.declaration(definite=True)}" for f in fields)
    return f"export class {name} {{\n{body}\n}}" if body else f"export class {name} {{}}"


def render_interface(name: str, fields: tuple[Field, ...]) -> str:
    body = "\n".join(f"  {f.declaration()}" for f in fields)
    return f"export interface {name} {{\n{body}\n}}" if body else f"export interface {name} {{}}"


def render_contract_types(prefix: str, actions: list[str], *, client: bool) -> list[str]:
    """Request classes (server) or interfaces (client) and response interfaces, once each."""
    blocks: list[str] = []
    responses: set[str] = set()
    for action in actions:
        contract = CONTRACTS[action]
        if client:
            blocks.append(
                render_interface(request_name(prefix, action, "Request"), contract.request)
            )
        else:
            blocks.append(render_class(request_name(prefix, action, "Dto"), contract.request))
        if contract.response_name not in responses:
            responses.add(contract.response_name)
            blocks.append(render_interface(prefix + contract.response_name, contract.response))
    return blocks
