"""Prompt building: pure functions from service specs to chat messages. Versioned."""

from __future__ import annotations

import json
from collections.abc import Mapping

from codegen_tasks.contracts.typetext import CalleeTypes
from codegen_tasks.files import GeneratedFile
from codegen_tasks.llm.base import ChatMessage
from codegen_tasks.services import DependencySpec, ServiceSpec

PROMPT_VERSION = "2026-12.1"

SYSTEM_PROMPT = """You are a senior backend engineer who writes production NestJS microservices \
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
5. Use only @nestjs/common, @nestjs/core, @nestjs/microservices, rxjs, reflect-metadata and
   node's standard library. The code must compile with `tsc --strict` (experimentalDecorators,
   emitDecoratorMetadata). No `any` where a type is known; no placeholder code or to-do notes.
6. Gateways are hybrid apps: NestFactory.create plus connectMicroservice, HTTP routes with
   @Controller/@Get/@Post from @nestjs/common forwarding to the dependency clients, and GET /health.
"""


def _dependency_lines(dep: DependencySpec) -> list[str]:
    head = f"- {dep.kind} `{dep.name}` over {dep.edge}"
    lines = [head + (f": {dep.description}" if dep.description else "")]
    if dep.actions:
        lines.append("  patterns: " + ", ".join(f"'{dep.name}.{a}'" for a in dep.actions))
    if dep.kind == "database":
        lines.append(f"  database: {dep.database_type or 'unspecified'}, ORM: {dep.orm or 'none'}")
        for field in dep.fields:
            lines.append("  field: " + json.dumps(field, sort_keys=True))
    if dep.kind == "logic":
        lines.append(f"  logic {dep.subtype or 'step'}: `{dep.expression or ''}`")
        if dep.forwards_to:
            lines.append("  forwards matching messages to: " + ", ".join(dep.forwards_to))
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


def build_service_prompt(
    spec: ServiceSpec, callees: Mapping[str, CalleeTypes] | None = None
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
    deps = [
        line
        for dep in spec.dependencies
        for line in [
            *_dependency_lines(dep),
            *(
                _callee_lines(dep.name, callees[dep.name])
                if callees and dep.name in callees
                else []
            ),
        ]
    ]
    lines += deps or ["- none"]
    lines.append("Called by: " + (", ".join(spec.dependants) or "nobody (entry point)"))
    lines.append("Service spec as JSON:")
    lines.append("```json\n" + spec.model_dump_json(by_alias=True, indent=2) + "\n```")
    lines.append("Generate the complete service now, as the JSON object described.")
    return "\n".join(lines)


def generation_messages(
    spec: ServiceSpec, callees: Mapping[str, CalleeTypes] | None = None
) -> list[ChatMessage]:
    return [
        ChatMessage(role="system", content=SYSTEM_PROMPT),
        ChatMessage(role="user", content=build_service_prompt(spec, callees)),
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
