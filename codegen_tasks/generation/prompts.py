"""Prompt building: pure functions from service specs to chat messages. Versioned."""

from __future__ import annotations

import json
from collections.abc import Mapping

from codegen_tasks.checks.contracts.typetext import CalleeTypes
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import MIGRATIONS_DIR, DependencySpec, ServiceSpec, forwarded_events
from codegen_tasks.generation.scaffold.columns import table_name
from codegen_tasks.generation.scaffold.naming import database_url_env
from codegen_tasks.platform import Platform, load_platform, persistence_for
from codegen_tasks.ports.llm import ChatMessage

PROMPT_VERSION = "2026-12.2"

_RULES = """You are a senior backend engineer who writes production NestJS microservices \
in TypeScript.

Generation rules:
1. Answer with ONE JSON object and nothing else: {"files": [{"path": "...", "content": "..."}]}.
   No markdown, no commentary. Paths are relative POSIX paths inside the service folder; never
   absolute, never containing "..".
2. The service MUST contain: package.json, tsconfig.json, src/main.ts (bootstraps the app with
   NestFactory.createMicroservice and Transport.TCP, host and port from environment variables),
   src/app.module.ts, and a domain folder src/<service-name>/ with <service-name>.module.ts,
   <service-name>.controller.ts, <service-name>.service.ts and dto/ types.
3. Every domain action is a controller method decorated with
   @MessagePattern('<service-name>.<action>') taking a typed @Payload() DTO and returning a typed
   Promise. Add a health handler @MessagePattern('<service-name>.health') returning
   { status: 'ok', service: '<service-name>' }.
4. For every HTTP dependency on another service, write src/clients/<target>.client.ts: an
   injectable class wrapping a ClientProxy (registered with ClientsModule) with one typed method
   per target action, calling firstValueFrom(client.send('<target>.<action>', payload)). Call only
   the patterns listed for that dependency.
5. Dependencies: import only node's standard library and the packages of the platform below.
   Declare every package you import in package.json "dependencies" at exactly the version
   listed (no ranges); devDependencies are typescript and @types/node (and @types/pg with pg).
   Nothing else is installed. The code must compile with `tsc --strict`
   (experimentalDecorators, emitDecoratorMetadata). No `any` where a type is known; no
   placeholder code or to-do notes.
6. Every DATABASE dependency gets real persistence with the library given for it: a
   repository in src/database/<database>.repository.ts whose schema follows the listed fields
   (types, primary key, required, unique, maxLength, defaultValue), connected through the URL in
   the env variable given for it; SQL databases also get the listed migration file (CREATE
   TABLE ..., applied in file-name order). Never an in-memory stand-in for a database.
7. Every LOGIC dependency is wired: compile its expression (JavaScript over `data`, the
   action's result) into a typed predicate in src/logic/; after each listed action succeeds and
   the predicate holds, emit the listed event with the result through a ClientProxy of the
   target (ClientProxy.emit('<target>.<event>', result)); a failed emit is logged, never thrown.
   Handle every listed incoming event with an @EventPattern('<pattern>') handler.
8. Gateways are hybrid apps: NestFactory.create plus connectMicroservice, HTTP routes with
   @Controller/@Get/@Post from @nestjs/common forwarding to the dependency clients, and GET /health.
9. Also write a multi-stage Dockerfile (node:22-alpine: build, then production dependencies
   only), .env.example with every env variable the service reads, and README.md listing the
   message patterns, events, env variables and how to run the service.
"""

_USES = {
    "@nestjs/config": "configuration (ConfigModule, ConfigService)",
    "class-validator": "DTO validation decorators",
    "class-transformer": "DTO transformation",
    "@nestjs/platform-express": "the HTTP server of gateways",
}


def system_prompt(platform: Platform | None = None) -> str:
    """The generation rules and the dependency platform, with versions and what is for what."""
    platform = platform or load_platform()
    lines = ["", "The dependency platform (package: exact version):"]
    lines += [f"- {p}: {v}" for p, v in sorted(platform.importable.items())]
    lines += ["", "Which library for what:"]
    lines += [f"- {use}: {p}" for p, use in _USES.items() if p in platform.importable]
    for kind, orms in platform.databases.items():
        default = persistence_for(platform, kind, None).orm
        for orm, packages in orms.items():
            mark = " (the default)" if orm == default else ""
            lines.append(f"- DATABASE {kind} with ORM {orm}{mark}: {', '.join(packages)}")
    return _RULES + "\n".join(lines) + "\n"


SYSTEM_PROMPT = system_prompt()


def _dependency_lines(dep: DependencySpec, platform: Platform) -> list[str]:
    head = f"- {dep.kind} `{dep.name}` over {dep.edge}"
    lines = [head + (f": {dep.description}" if dep.description else "")]
    if dep.actions:
        lines.append("  patterns: " + ", ".join(f"'{dep.name}.{a}'" for a in dep.actions))
    if dep.kind == "database":
        chosen = persistence_for(platform, dep.database_type, dep.orm)
        lines.append(f"  database: {dep.database_type or 'unspecified'}, ORM: {dep.orm or 'none'}")
        lines.append(
            f"  use: {chosen.database_type} through {chosen.orm} ({', '.join(chosen.packages)});"
            f" connection URL in env {database_url_env(dep.name)};"
            f" table/collection `{table_name(dep.name)}`"
        )
        if chosen.warning:
            lines.append(f"  note: {chosen.warning}")
        if chosen.is_sql:
            lines.append(f"  migration: {MIGRATIONS_DIR}/{table_name(dep.name)}.sql")
        for field in dep.fields:
            lines.append("  field: " + json.dumps(field, sort_keys=True))
    if dep.kind == "logic":
        lines.append(f"  logic {dep.subtype or 'filter'}: `{dep.expression or ''}`")
        if dep.forwards_to:
            lines.append("  forwards matching results to: " + ", ".join(dep.forwards_to))
    return lines


def _callee_lines(name: str, types: CalleeTypes) -> list[str]:
    """The exact payload/reply types of a dependency, from its discovered contracts."""
    lines = [f"  exact message types of {name} (its latest code; use them as they are):"]
    for p in types.patterns:
        payload, reply = p.request_type or "(none)", p.response_type or "(none)"
        what = f"reply {reply}" if p.type == "request" else "event, no reply"
        lines.append(f"    '{p.pattern}': payload {payload}, {what}")
    if types.declarations:
        lines.append("  ```ts\n" + "\n\n".join(types.declarations) + "\n  ```")
    return lines


def _event_lines(spec: ServiceSpec) -> list[str]:
    emitted = [
        f"- after '{spec.name}.{action}' succeeds, through logic `{dep.name}`: emit '{pattern}'"
        for action, dep, _, pattern in forwarded_events(spec)
    ]
    handled = [f"- handle '{p}' with @EventPattern" for p in spec.events]
    lines = ["Events to emit:", *emitted] if emitted else []
    return lines + (["Events to handle:", *handled] if handled else [])


GENERATE_ASK = "Generate the complete service now, as the JSON object described."


def build_service_prompt(
    spec: ServiceSpec,
    callees: Mapping[str, CalleeTypes] | None = None,
    platform: Platform | None = None,
    closing: str = GENERATE_ASK,
) -> str:
    """The user prompt for one service: node, dependencies (with the exact message types of
    the services it calls, when their contracts are known), dependants, project."""
    lines = [
        f"Project: {spec.project_name}",
        f"Service name: {spec.name}",
        f"Kind: {spec.kind} (blueprint: {spec.blueprint})",
        f"Description: {spec.description or '(none given)'}",
    ]
    if spec.actions:
        lines.append("Message patterns to handle: " + ", ".join(f"'{p}'" for p in spec.patterns()))
    else:
        lines.append(f"Message patterns to handle: '{spec.name}.health'")
    lines.append("Dependencies (outgoing edges):")
    platform = platform or load_platform()
    deps = [
        line
        for dep in spec.dependencies
        for line in [
            *_dependency_lines(dep, platform),
            *(
                _callee_lines(dep.name, callees[dep.name])
                if callees and dep.name in callees
                else []
            ),
        ]
    ]
    lines += deps or ["- none"]
    lines += _event_lines(spec)
    lines.append("Called by: " + (", ".join(spec.dependants) or "nobody (entry point)"))
    lines.append("Service spec as JSON:")
    lines.append("```json\n" + spec.model_dump_json(by_alias=True, indent=2) + "\n```")
    if closing:
        lines.append(closing)
    return "\n".join(lines)


def generation_messages(
    spec: ServiceSpec,
    callees: Mapping[str, CalleeTypes] | None = None,
    platform: Platform | None = None,
) -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content=system_prompt(platform)),
        ChatMessage(role="user", content=build_service_prompt(spec, callees, platform)),
    ]


def repair_messages(
    base: list[ChatMessage], answer: str, problem: str, *, truncated: bool
) -> list[ChatMessage]:
    """Re-ask after a bad answer, quoting the problem; bounded by the caller."""
    if truncated:
        ask = (
            "Your answer was cut off before it ended (the token limit was reached). Answer again "
            "with the complete JSON object, shorter: fewer comments, no README, compact code."
        )
        previous = answer[-2000:]
    else:
        ask = f"Your answer could not be used: {problem}. Answer again with only the JSON object."
        previous = answer[:8000]
    return [
        *base,
        ChatMessage(role="assistant", content=previous),
        ChatMessage(role="user", content=ask),
    ]


def fix_messages(
    base: list[ChatMessage], files: list[GeneratedFile], errors: list[str]
) -> list[ChatMessage]:
    """Ask for a corrected bundle after validation found errors (the feedback loop)."""
    listing = "\n".join(f"- {e}" for e in errors[:40])
    return [
        *base,
        ChatMessage(role="assistant", content=_files_json(files)),
        ChatMessage(
            role="user",
            content="The compiler and validator found these errors:\n"
            + listing
            + "\nAnswer with the complete corrected JSON object.",
        ),
    ]


def _files_json(files: list[GeneratedFile]) -> str:
    return json.dumps({"files": [f.model_dump() for f in files]})


def _file_dump(files: list[GeneratedFile], limit: int = 60_000) -> str:
    parts: list[str] = []
    for file in files:
        parts.append(f"--- {file.path}\n{file.content}")
    text = "\n".join(parts)
    return text if len(text) <= limit else text[:limit] + "\n[... truncated]"


def validation_messages(service_name: str, files: list[GeneratedFile]) -> list[ChatMessage]:
    """AI review: findings only; deterministic checks decide pass/fail."""
    return [
        ChatMessage(
            role="system",
            content="You review NestJS microservice code. Answer with one JSON object: "
            '{"errors": [{"level", "message", "file", "line"}], "warnings": [...]} where level is '
            "one of structural, contract, typescript, build, health_check, contract_discovery.",
        ),
        ChatMessage(role="user", content=f"Service {service_name}:\n{_file_dump(files)}"),
    ]


def contract_discovery_messages(service_name: str, files: list[GeneratedFile]) -> list[ChatMessage]:
    return [
        ChatMessage(
            role="system",
            content="You describe the message contracts of NestJS microservices. Answer with one "
            'JSON object: {"contracts": [{"pattern", "type": "request"|"event", "requestType", '
            '"responseType", "description"}]}.',
        ),
        ChatMessage(role="user", content=f"Service {service_name}:\n{_file_dump(files)}"),
    ]
