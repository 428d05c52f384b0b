"""The domain module of a SERVICE node: module, controller, service and DTO files."""

from __future__ import annotations

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.generation.scaffold.auth import auth_part
from codegen_tasks.generation.scaffold.clients import CLIENTS_MODULE_PATH, Client
from codegen_tasks.generation.scaffold.contracts import (
    AUTH_ACTIONS,
    CRUD_ACTIONS,
    NOTIFICATION_ACTIONS,
    PAYMENT_ACTIONS,
)
from codegen_tasks.generation.scaffold.crud import crud_part
from codegen_tasks.generation.scaffold.database import (
    Repository,
    own_repository,
    render_memory_repository,
)
from codegen_tasks.generation.scaffold.logic import (
    EVENTS_MODULE_PATH,
    EVENTS_PATH,
    Wiring,
    render_logic,
)
from codegen_tasks.generation.scaffold.naming import (
    camel,
    comment_text,
    pascal,
    ts_string,
    unique_names,
)
from codegen_tasks.generation.scaffold.operations import (
    events_part,
    generic_part,
    notification_part,
    payment_part,
)
from codegen_tasks.generation.scaffold.source import (
    HEALTH_TYPE,
    Handler,
    Import,
    Part,
    doc_comment,
    indent,
    join_blocks,
    module_ref,
    render_imports,
)

_BUILTIN = frozenset(CRUD_ACTIONS + AUTH_ACTIONS + PAYMENT_ACTIONS + NOTIFICATION_ACTIONS)
_RESERVED = frozenset(
    {
        "constructor",
        "health",
        "existing",
        "receive",
        "recordEvent",
        "sign",
        "signature",
        "claimsOf",
        "logger",
    }
)


def domain_actions(spec: ServiceSpec) -> list[str]:
    """The actions that get handlers: unique, in order, without `health` (always present)."""
    return [a for a in dict.fromkeys(spec.actions) if a != "health"]


def build_parts(spec: ServiceSpec, repos: list[Repository]) -> list[Part]:
    actions = domain_actions(spec)
    parts: list[Part] = []
    crud = [a for a in actions if a in CRUD_ACTIONS]
    if crud:
        own = not repos
        parts.append(crud_part(spec.name, crud, repos[0] if repos else own_repository(spec), own))
    for family, make in ((AUTH_ACTIONS, auth_part), (PAYMENT_ACTIONS, payment_part)):
        chosen = [a for a in actions if a in family]
        if chosen:
            parts.append(make(spec.name, chosen))
    if any(a in NOTIFICATION_ACTIONS for a in actions):
        parts.append(notification_part(spec.name, ["send"]))
    other = [a for a in actions if a not in _BUILTIN]
    if other:
        parts.append(generic_part(spec.name, other, _RESERVED | _BUILTIN))
    return parts


def render_domain(
    spec: ServiceSpec, repos: list[Repository], clients: list[Client]
) -> list[GeneratedFile]:
    parts = build_parts(spec, repos)
    if spec.events:
        parts.append(events_part(spec.name))
    folder = f"src/{spec.name}"
    files = [GeneratedFile(path=f"{folder}/dto/{p.dto_file}", content=p.dto_source) for p in parts]
    if any(p.providers for p in parts):
        files += [render_memory_repository(own_repository(spec))]
    logic_files, wiring = render_logic(spec, parts)
    files += logic_files
    files += [
        _module(spec, parts, repos, clients, wiring),
        _controller(spec, parts, wiring),
        _service(spec, parts, repos, clients),
    ]
    return files


def _dto_imports(parts: list[Part]) -> set[Import]:
    return {(f"./dto/{p.dto_file.removesuffix('.ts')}", n) for p in parts for n in p.dto_exports()}


def _module(
    spec: ServiceSpec,
    parts: list[Part],
    repos: list[Repository],
    clients: list[Client],
    wiring: Wiring | None,
) -> GeneratedFile:
    prefix, folder = pascal(spec.name), f"src/{spec.name}"
    imports: set[Import] = {
        ("@nestjs/common", "Module"),
        (f"./{spec.name}.controller", f"{prefix}Controller"),
        (f"./{spec.name}.service", f"{prefix}Service"),
    }
    providers = [f"{prefix}Service"]
    for cls, path in sorted({p for part in parts for p in part.providers} | _repo_providers(repos)):
        imports.add((module_ref(folder, path), cls))
        providers.append(cls)
    modules: list[str] = []
    if clients:
        imports.add((module_ref(folder, CLIENTS_MODULE_PATH), f"{prefix}ClientsModule"))
        modules.append(f"{prefix}ClientsModule")
    if wiring is not None:
        imports.add((module_ref(folder, EVENTS_MODULE_PATH), wiring.module))
        modules.append(wiring.module)
    module_imports = f"  imports: [{', '.join(modules)}],\n" if modules else ""
    body = (
        f"@Module({{\n{module_imports}  controllers: [{prefix}Controller],\n"
        f"  providers: [{', '.join(providers)}],\n  exports: [{prefix}Service],\n}})\n"
        f"export class {prefix}Module {{}}"
    )
    return GeneratedFile(
        path=f"{folder}/{spec.name}.module.ts", content=join_blocks([render_imports(imports), body])
    )


def _repo_providers(repos: list[Repository]) -> set[tuple[str, str]]:
    return {(r.cls, r.path) for r in repos}


def _handler_method(spec: ServiceSpec, handler: Handler, wiring: Wiring | None) -> str:
    pattern = ts_string(f"{spec.name}.{handler.action}")
    head = f"@MessagePattern({pattern})\n"
    hook = wiring.hooks.get(handler.action) if wiring is not None else None
    if hook is None or wiring is None:
        return (
            f"{head}{handler.method}(@Payload() dto: {handler.request}): "
            f"Promise<{handler.response}> {{\n  return this.service.{handler.method}(dto);\n}}"
        )
    return (
        f"{head}async {handler.method}(@Payload() dto: {handler.request}): "
        f"Promise<{handler.response}> {{\n"
        f"  const result = await this.service.{handler.method}(dto);\n"
        f"  await this.{wiring.member}.{hook}(result);\n  return result;\n}}"
    )


def _event_methods(spec: ServiceSpec) -> list[str]:
    names = unique_names([camel(f"on-{p.split('.', 1)[1]}") for p in spec.events])
    return [
        f"@EventPattern({ts_string(pattern)})\n"
        f"{name}(@Payload() event: {pascal(spec.name)}Event): void {{\n"
        f"  this.service.recordEvent({ts_string(pattern)}, event);\n}}"
        for pattern, name in zip(spec.events, names, strict=True)
    ]


def _controller(spec: ServiceSpec, parts: list[Part], wiring: Wiring | None) -> GeneratedFile:
    prefix = pascal(spec.name)
    imports: set[Import] = {
        ("@nestjs/common", "Controller"),
        ("@nestjs/microservices", "MessagePattern"),
        (f"./{spec.name}.service", f"{prefix}Service"),
        *_dto_imports(parts),
    }
    handlers = [h for p in parts for h in p.handlers]
    if handlers or spec.events:
        imports.add(("@nestjs/microservices", "Payload"))
    if spec.events:
        imports.add(("@nestjs/microservices", "EventPattern"))
        imports.add(("./dto/events.dto", f"{prefix}Event"))
    methods = [_handler_method(spec, h, wiring) for h in handlers]
    methods += _event_methods(spec)
    ctor = f"private readonly service: {prefix}Service"
    if wiring is not None:
        imports.add((module_ref(f"src/{spec.name}", EVENTS_PATH), wiring.cls))
        ctor += f", private readonly {wiring.member}: {wiring.cls}"
    methods.append(
        f"@MessagePattern({ts_string(f'{spec.name}.health')})\n"
        f"health(): {HEALTH_TYPE} {{\n"
        f"  return {{ status: 'ok', service: {ts_string(spec.name)} }};\n}}"
    )
    header = [f"Message handlers of the {spec.name} service (`{spec.name}.<action>` patterns)."]
    body = (
        doc_comment(header) + "\n@Controller()\n"
        f"export class {prefix}Controller {{\n"
        f"  constructor({ctor}) {{}}\n\n" + "\n\n".join(indent(m) for m in methods) + "\n}"
    )
    return GeneratedFile(
        path=f"src/{spec.name}/{spec.name}.controller.ts",
        content=join_blocks([render_imports(imports), body]),
    )


def _service(
    spec: ServiceSpec, parts: list[Part], repos: list[Repository], clients: list[Client]
) -> GeneratedFile:
    prefix, folder = pascal(spec.name), f"src/{spec.name}"
    imports: set[Import] = {("@nestjs/common", "Injectable"), *_dto_imports(parts)}
    for part in parts:
        imports |= part.service_imports
    params = [f"private readonly {m}: {c}" for p in parts for m, c in p.injections]
    private = {m for p in parts for m, _ in p.injections}
    for repo in repos:
        imports.add((module_ref(folder, repo.path), repo.cls))
        if repo.member not in private:
            params.append(f"readonly {repo.member}: {repo.cls}")
    for client in clients:
        imports.add((module_ref(folder, client.path), client.cls))
        params.append(f"readonly {client.member}: {client.cls}")
    helpers = list(dict.fromkeys(h for p in parts for h in p.helpers))
    members = [m for p in parts for m in p.members]
    methods = [m for p in parts for m in p.methods]
    ctor = _constructor(params)
    class_body = "\n\n".join(
        indent(block) for block in ["\n".join(members), ctor, *methods] if block
    )
    body = (
        doc_comment(_service_doc(spec, repos, clients))
        + f"\n@Injectable()\nexport class {prefix}Service {{\n{class_body}\n}}"
    )
    content = join_blocks([render_imports(imports), *helpers, body])
    return GeneratedFile(path=f"{folder}/{spec.name}.service.ts", content=content)


def _constructor(params: list[str]) -> str:
    if not params:
        return ""
    return "constructor(\n" + "".join(f"  {p},\n" for p in params) + ") {}"


def _service_doc(spec: ServiceSpec, repos: list[Repository], clients: list[Client]) -> list[str]:
    lines = [f"The {spec.name} service ({comment_text(spec.blueprint)} blueprint)."]
    if spec.description:
        lines.append(comment_text(spec.description))
    if repos:
        lines.append("Storage: " + ", ".join(r.label for r in repos) + ".")
    if clients:
        lines.append(
            "Calls: " + ", ".join(c.target.name for c in clients) + " through the typed clients."
        )
    return lines
