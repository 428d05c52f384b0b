"""GATEWAY nodes: a hybrid app whose HTTP routes forward to the services it depends on."""

from __future__ import annotations

from dataclasses import dataclass

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.generation.scaffold.clients import CLIENTS_MODULE_PATH, Client, ClientMethod
from codegen_tasks.generation.scaffold.database import Repository
from codegen_tasks.generation.scaffold.fields import entity_from
from codegen_tasks.generation.scaffold.naming import (
    camel,
    comment_text,
    kebab,
    pascal,
    property_key,
    ts_string,
    unique_names,
)
from codegen_tasks.generation.scaffold.source import (
    HEALTH_TYPE,
    Import,
    doc_comment,
    indent,
    join_blocks,
    module_ref,
    render_imports,
)

_FORWARD_HELPERS = """async function forward<T>(call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error: unknown) {
    throw toHttpException(error);
  }
}

function toHttpException(error: unknown): HttpException {
  const details: Record<string, unknown> =
    typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : {};
  const status = details.status;
  if (typeof status === 'number' && status >= 400 && status < 600) {
    const message = typeof details.message === 'string' ? details.message : 'request failed';
    return new HttpException(message, status);
  }
  return new HttpException('upstream service unavailable', HttpStatus.BAD_GATEWAY);
}

function toInt(value: string | undefined): number | undefined {
  return value === undefined || value.trim() === '' ? undefined : Number(value);
}"""


@dataclass(frozen=True)
class Route:
    verb: str  # Get | Post | Patch | Delete
    path: str
    method: str
    params: str
    call: str
    response: str


def _key_arg(client: Client) -> tuple[str, str]:
    """The target's entity key: its name, and the object member the path parameter gives."""
    key = entity_from(client.target.entity_fields).key
    value = "Number(id)" if key.ts == "number" else "id"
    prop = property_key(key.name)
    return key.name, value if prop == value else f"{prop}: {value}"


def _route(client: Client, m: ClientMethod, method: str) -> Route:
    base = f"/{client.target.name}"
    call = f"this.{client.member}.{m.method}"
    name, value = _key_arg(client)
    if m.action == "findAll":
        params = "@Query('offset') offset?: string, @Query('limit') limit?: string"
        return Route(
            "Get",
            base,
            method,
            params,
            f"{call}({{ offset: toInt(offset), limit: toInt(limit) }})",
            m.response,
        )
    keyed = {"findOne": "Get", "remove": "Delete"}
    if m.action in keyed:
        return Route(
            keyed[m.action],
            f"{base}/:id",
            method,
            "@Param('id') id: string",
            f"{call}({{ {value} }})",
            m.response,
        )
    if m.action == "update":
        params = f"@Param('id') id: string, @Body() body: Omit<{m.request}, {ts_string(name)}>"
        return Route(
            "Patch",
            f"{base}/:id",
            method,
            params,
            f"{call}({{ ...body, {value} }})",
            m.response,
        )
    if m.action == "create":
        return Route(
            "Post", base, method, f"@Body() body: {m.request}", f"{call}(body)", m.response
        )
    if m.action == "health":
        return Route("Get", f"{base}/health", method, "", f"{call}()", m.response)
    path = f"{base}/{kebab(m.method)}"
    return Route("Post", path, method, f"@Body() body: {m.request}", f"{call}(body)", m.response)


def gateway_routes(clients: list[Client]) -> list[Route]:
    """Health first, then the item routes, so `/x/health` is matched before `/x/:id`."""
    pairs = [(c, m) for c in clients for m in sorted(c.methods, key=_route_order)]
    names = [camel(c.target.name) + pascal(m.method) for c, m in pairs]
    unique = unique_names(names, frozenset({"health", "healthRpc", "constructor"}))
    return [_route(c, m, n) for (c, m), n in zip(pairs, unique, strict=True)]


def _route_order(m: ClientMethod) -> int:
    return 0 if m.action == "health" else 1


def _imports(folder: str, clients: list[Client], routes: list[Route]) -> set[Import]:
    verbs = {r.verb for r in routes} | {"Get"}
    used = " ".join(r.params for r in routes)
    common = {"Controller", "HttpException", "HttpStatus", *verbs}
    common |= {d for d in ("Body", "Param", "Query") if f"@{d}(" in used}
    imports: set[Import] = {("@nestjs/common", n) for n in common}
    imports.add(("@nestjs/microservices", "MessagePattern"))
    for client in clients:
        ref = module_ref(folder, client.path)
        imports.add((ref, client.cls))
        imports |= {(ref, t) for m in client.methods for t in _local_types(m)}
    return imports


def _local_types(m: ClientMethod) -> list[str]:
    return [t for t in (m.request, m.response) if t and t.isidentifier()]


def _controller(spec: ServiceSpec, clients: list[Client], routes: list[Route]) -> str:
    prefix = pascal(spec.name)
    methods = [
        f"@Get('/health')\nhealth(): {HEALTH_TYPE} {{\n"
        f"  return {{ status: 'ok', service: {ts_string(spec.name)} }};\n}}",
        f"@MessagePattern({ts_string(spec.name + '.health')})\nhealthRpc(): {HEALTH_TYPE} {{\n"
        "  return this.health();\n}",
    ]
    methods += [
        f"@{r.verb}({ts_string(r.path)})\n{r.method}({r.params}): Promise<{r.response}> {{\n"
        f"  return forward({r.call});\n}}"
        for r in routes
    ]
    ctor = ""
    if clients:
        params = "".join(f"  private readonly {c.member}: {c.cls},\n" for c in clients)
        ctor = f"constructor(\n{params}) {{}}"
    doc = [f"HTTP entry point of {spec.name}; every route forwards to a service over RPC."]
    if spec.description:
        doc.append(comment_text(spec.description))
    body = "\n\n".join(indent(b) for b in [ctor, *methods] if b)
    return doc_comment(doc) + f"\n@Controller()\nexport class {prefix}Controller {{\n{body}\n}}"


def render_gateway(
    spec: ServiceSpec, repos: list[Repository], clients: list[Client]
) -> list[GeneratedFile]:
    folder = f"src/{spec.name}"
    routes = gateway_routes(clients)
    controller = join_blocks(
        [
            render_imports(_imports(folder, clients, routes)),
            _FORWARD_HELPERS if routes else "",
            _controller(spec, clients, routes),
        ]
    )
    return [
        GeneratedFile(path=f"{folder}/{spec.name}.controller.ts", content=controller),
        _module(spec, repos, clients),
    ]


def _module(spec: ServiceSpec, repos: list[Repository], clients: list[Client]) -> GeneratedFile:
    prefix, folder = pascal(spec.name), f"src/{spec.name}"
    imports: set[Import] = {
        ("@nestjs/common", "Module"),
        (f"./{spec.name}.controller", f"{prefix}Controller"),
    }
    lines = []
    if clients:
        imports.add((module_ref(folder, CLIENTS_MODULE_PATH), f"{prefix}ClientsModule"))
        lines.append(f"  imports: [{prefix}ClientsModule],")
    lines.append(f"  controllers: [{prefix}Controller],")
    if repos:
        imports |= {(module_ref(folder, r.path), r.cls) for r in repos}
        lines.append(f"  providers: [{', '.join(r.cls for r in repos)}],")
    body = "@Module({\n" + "\n".join(lines) + f"\n}})\nexport class {prefix}Module {{}}"
    return GeneratedFile(
        path=f"{folder}/{spec.name}.module.ts", content=join_blocks([render_imports(imports), body])
    )
