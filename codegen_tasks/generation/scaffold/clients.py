"""Typed RPC clients for the services a node calls, and the module registering them."""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import DependencySpec, ServiceSpec, called_targets
from codegen_tasks.generation.scaffold.contracts import (
    CONTRACTS,
    render_contract_types,
    render_interface,
    request_name,
)
from codegen_tasks.generation.scaffold.crud import reply_shapes, request_shapes
from codegen_tasks.generation.scaffold.fields import entity_from
from codegen_tasks.generation.scaffold.naming import (
    camel,
    comment_text,
    constant,
    default_port,
    pascal,
    ts_string,
    unique_names,
)
from codegen_tasks.generation.scaffold.source import (
    Import,
    doc_comment,
    fill,
    join_blocks,
    module_ref,
    render_imports,
)

_CRUD_REPLIES = {
    "create": "Entity",
    "findAll": "Page",
    "findOne": "Entity",
    "update": "Entity",
    "remove": "Removal",
}
_RECEIPT = """export interface <<p>>Receipt {
  id: string;
  action: string;
  receivedAt: string;
  payload: Record<string, unknown>;
}"""


@dataclass(frozen=True)
class ClientMethod:
    action: str
    method: str
    request: str
    response: str


@dataclass(frozen=True)
class Client:
    target: DependencySpec
    cls: str
    token: str
    member: str
    path: str
    methods: tuple[ClientMethod, ...]

    def env(self, suffix: str) -> str:
        return f"{constant(self.target.name)}_{suffix}"


def clients_of(spec: ServiceSpec) -> list[Client]:
    """One client per called service (repeated edges to the same node give one client)."""
    seen: set[str] = set()
    clients: list[Client] = []
    for dep in called_targets(spec):
        if dep.node_id in seen:
            continue
        seen.add(dep.node_id)
        prefix = pascal(dep.name)
        clients.append(
            Client(
                target=dep,
                cls=f"{prefix}Client",
                token=f"{constant(dep.name)}_CLIENT",
                member=f"{camel(dep.name)}Client",
                path=f"src/clients/{dep.name}.client.ts",
                methods=_methods(dep),
            )
        )
    return clients


def _methods(dep: DependencySpec) -> tuple[ClientMethod, ...]:
    prefix = pascal(dep.name)
    actions = [a for a in dict.fromkeys(dep.actions) if a != "health"]
    names = unique_names([camel(a) for a in actions], frozenset({"health", "constructor"}))
    methods: list[ClientMethod] = []
    for action, method in zip(actions, names, strict=True):
        if action in _CRUD_REPLIES:
            request = request_name(prefix, action, "Request")
            response = prefix + _CRUD_REPLIES[action]
        elif action in CONTRACTS:
            request = request_name(prefix, action, "Request")
            response = prefix + CONTRACTS[action].response_name
        else:
            request, response = "Record<string, unknown>", f"{prefix}Receipt"
        methods.append(ClientMethod(action, method, request, response))
    methods.append(ClientMethod("health", "health", "", f"{prefix}Health"))
    return tuple(methods)


def render_client(client: Client) -> GeneratedFile:
    dep, prefix = client.target, pascal(client.target.name)
    actions = [m.action for m in client.methods]
    types = _crud_types(dep, [a for a in actions if a in _CRUD_REPLIES])
    types += render_contract_types(prefix, [a for a in actions if a in CONTRACTS], client=True)
    if any(m.response.endswith("Receipt") for m in client.methods):
        types.append(fill(_RECEIPT, p=prefix))
    types.append(f"export interface {prefix}Health {{\n  status: 'ok';\n  service: string;\n}}")
    doc = [f"Typed RPC client of the {dep.name} service (TCP)."]
    if dep.description:
        doc.append(comment_text(dep.description))
    content = join_blocks(
        [
            "import { Inject, Injectable } from '@nestjs/common';\n"
            "import { ClientProxy } from '@nestjs/microservices';\n"
            "import { firstValueFrom } from 'rxjs';",
            f"/** Injection token of the connection to {dep.name}. */\n"
            f"export const {client.token} = '{client.token}';",
            *types,
            doc_comment(doc) + "\n" + _client_class(client),
        ]
    )
    return GeneratedFile(path=client.path, content=content)


def _crud_types(dep: DependencySpec, actions: list[str]) -> list[str]:
    """The CRUD payloads and replies exactly as the target declares them (same entity)."""
    if not actions:
        return []
    prefix, entity = pascal(dep.name), entity_from(dep.entity_fields)
    doc = f"/** A {comment_text(dep.name)} entity as the service returns it. */\n"
    types = [doc + render_interface(f"{prefix}Entity", entity.fields)]
    shapes = request_shapes(entity)
    types += [render_interface(request_name(prefix, a, "Request"), shapes[a]) for a in actions]
    replies = reply_shapes(prefix, entity)
    types += [
        render_interface(f"{prefix}{reply}", replies[reply])
        for reply in ("Page", "Removal")
        if reply in {_CRUD_REPLIES[a] for a in actions}
    ]
    return types


def _client_class(client: Client) -> str:
    lines = [
        "@Injectable()",
        f"export class {client.cls} {{",
        f"  constructor(@Inject({client.token}) private readonly client: ClientProxy) {{}}",
    ]
    for m in client.methods:
        pattern = ts_string(f"{client.target.name}.{m.action}")
        param, arg = (f"payload: {m.request}", "payload") if m.request else ("", "{}")
        lines += [
            "",
            f"  {m.method}({param}): Promise<{m.response}> {{",
            f"    return firstValueFrom(this.client.send<{m.response}>({pattern}, {arg}));",
            "  }",
        ]
    return "\n".join([*lines, "}"])


_REGISTRATION = """    {
      name: <<token>>,
      transport: Transport.TCP,
      options: {
        host: process.env.<<host_env>> ?? '127.0.0.1',
        port: Number(process.env.<<port_env>> ?? <<port>>),
      },
    },"""


def render_clients_module(prefix: str, clients: list[Client]) -> GeneratedFile:
    """`src/clients/clients.module.ts`: ClientsModule.register with TCP options from env."""
    imports: set[Import] = {
        ("@nestjs/common", "Module"),
        ("@nestjs/microservices", "ClientsModule"),
        ("@nestjs/microservices", "Transport"),
    }
    for c in clients:
        imports |= {
            (module_ref("src/clients", c.path), c.cls),
            (module_ref("src/clients", c.path), c.token),
        }
    registrations = "\n".join(
        fill(
            _REGISTRATION,
            token=c.token,
            host_env=c.env("HOST"),
            port_env=c.env("PORT"),
            port=str(default_port(c.target.name)),
        )
        for c in clients
    )
    classes = ", ".join(c.cls for c in clients)
    module = (
        "/** Connections to the services this one calls; hosts and ports come from env. */\n"
        "@Module({\n  imports: [\n    ClientsModule.register([\n"
        + "\n".join("  " + line if line else line for line in registrations.splitlines())
        + f"\n    ]),\n  ],\n  providers: [{classes}],\n  exports: [{classes}],\n}})\n"
        f"export class {prefix}ClientsModule {{}}"
    )
    return GeneratedFile(
        path=CLIENTS_MODULE_PATH, content=join_blocks([render_imports(imports), module])
    )


CLIENTS_MODULE_PATH = "src/clients/clients.module.ts"
