"""The project's message contracts as an AsyncAPI 3.0 document (pure).

- one channel per pattern (address = the NestJS pattern); a request pattern also gets a reply
  channel (address null: NestJS replies on the caller's connection);
- operations per service: `receive` for each handler, `send` for each client call, with the
  reply of request patterns;
- one server per service and transport (NestJS TCP microservices: host = the service name,
  port = its default port), referenced by the channels it handles;
- message payload JSON Schemas from the discovered TypeScript types (`schemas`: the handler's
  payload parameter and return type through typescript-json-schema); a pattern the graph
  implies but no bundle handles (or whose types are not resolvable) is still listed, without
  a payload schema, marked `x-codegen-source: graph`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from codegen_tasks.checks.contracts.compat import ServiceBundle
from codegen_tasks.checks.contracts.schemas import Schema, TypeRef
from codegen_tasks.checks.contracts.sites import handler_site
from codegen_tasks.checks.contracts.syntax import parse_bundle
from codegen_tasks.domain.results import Contract

ASYNCAPI_VERSION = "3.0.0"
TRANSPORT = "tcp"
_ID_RE = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class Project:
    """What the document says about the project and each service the graph gives code."""

    id: str
    name: str
    description: str
    services: Mapping[str, tuple[str, int, list[str]]]  # key -> (name, port, graph patterns)


def _id(text: str) -> str:
    return _ID_RE.sub("_", text).strip("_") or "pattern"


def payload_types(bundles: list[ServiceBundle]) -> dict[str, TypeRef]:
    """`<bundle key>|<pattern>|payload|reply` type names for every typed handler."""
    types: dict[str, TypeRef] = {}
    for bundle in bundles:
        sources = {s.path: s for s in parse_bundle(bundle.files)}
        for contract in bundle.report.contracts:
            site = handler_site(sources, contract)
            if site.method is None:
                continue
            index = len(types)
            if site.payload is not None:
                types[f"Payload{index}"] = TypeRef(bundle.key, site.method, site.payload)
            if site.reply:
                types[f"Reply{index}"] = TypeRef(bundle.key, site.method, None)
    return types


def _schema_of(
    types: Mapping[str, TypeRef], schemas: Mapping[str, Schema | None], key: str, c: Contract
) -> tuple[Schema | None, Schema | None]:
    payload: Schema | None = None
    reply: Schema | None = None
    for name, ref in types.items():
        if ref.bundle != key or ref.method.method != c.handler or ref.method.file != c.file:
            continue
        if ref.payload is None:
            reply = schemas.get(name)
        else:
            payload = schemas.get(name)
    return payload, reply


def _message(name: str, type_text: str | None, schema: Schema | None) -> dict[str, Any]:
    message: dict[str, Any] = {"name": name, "contentType": "application/json"}
    if schema is not None:
        message["payload"] = schema
    if type_text:
        message["x-codegen-type"] = type_text
    return message


class _Document:
    def __init__(self, project: Project) -> None:
        self.project = project
        self.channels: dict[str, Any] = {}
        self.operations: dict[str, Any] = {}
        self.messages: dict[str, Any] = {}

    def channel(self, pattern: str, kind: str, server: str | None) -> str:
        cid = _id(pattern)
        channel = self.channels.setdefault(
            cid, {"address": pattern, "messages": {}, "x-codegen-type": kind}
        )
        if server is not None:
            refs = channel.setdefault("servers", [])
            ref = {"$ref": f"#/servers/{server}"}
            if ref not in refs:
                refs.append(ref)
        if kind == "request":
            self.channels.setdefault(f"{cid}.reply", {"address": None, "messages": {}})
        return cid

    def message(self, cid: str, suffix: str, message: dict[str, Any]) -> None:
        mid = f"{cid}.{suffix}"
        if "payload" in message or mid not in self.messages:
            self.messages[mid] = message
        target = cid if suffix != "reply" else f"{cid}.reply"
        self.channels[target]["messages"][suffix] = {"$ref": f"#/components/messages/{mid}"}

    def operation(self, service: str, action: str, cid: str, kind: str, source: str) -> None:
        operation: dict[str, Any] = {
            "action": action,
            "channel": {"$ref": f"#/channels/{cid}"},
            "messages": [
                {"$ref": f"#/channels/{cid}/messages/{'event' if kind == 'event' else 'request'}"}
            ],
            "x-codegen-source": source,
        }
        if kind == "request":
            operation["reply"] = {
                "channel": {"$ref": f"#/channels/{cid}.reply"},
                "messages": [{"$ref": f"#/channels/{cid}.reply/messages/reply"}],
            }
        self.operations.setdefault(f"{_id(service)}.{action}.{cid}", operation)


def asyncapi_document(
    project: Project,
    bundles: list[ServiceBundle],
    types: Mapping[str, TypeRef],
    schemas: Mapping[str, Schema | None],
) -> dict[str, Any]:
    """The AsyncAPI 3.0 document of the project's discovered (and graph-implied) contracts."""
    doc = _Document(project)
    by_key = {b.key: b for b in bundles}
    for key, (name, _, patterns) in project.services.items():
        bundle = by_key.get(key)
        handled = {c.pattern for c in bundle.report.contracts} if bundle else set()
        for contract in bundle.report.contracts if bundle else []:
            payload, reply = _schema_of(types, schemas, key, contract)
            cid = doc.channel(contract.pattern, contract.type, _id(name))
            suffix = "event" if contract.type == "event" else "request"
            doc.message(cid, suffix, _message(contract.pattern, contract.request_type, payload))
            if contract.type == "request":
                reply_name = f"{contract.pattern} reply"
                doc.message(cid, "reply", _message(reply_name, contract.response_type, reply))
            doc.operation(name, "receive", cid, contract.type, "discovered")
        for pattern in patterns:
            if pattern not in handled:
                cid = doc.channel(pattern, "request", _id(name))
                doc.message(cid, "request", _message(pattern, None, None))
                doc.message(cid, "reply", _message(f"{pattern} reply", None, None))
                doc.operation(name, "receive", cid, "request", "graph")
    for bundle in bundles:
        for call in bundle.report.calls:
            kind = "request" if call.method == "send" else "event"
            cid = doc.channel(call.pattern, kind, None)
            suffix = "event" if kind == "event" else "request"
            doc.message(cid, suffix, _message(call.pattern, None, None))
            if kind == "request":
                doc.message(cid, "reply", _message(f"{call.pattern} reply", None, None))
            doc.operation(bundle.name, "send", cid, kind, "discovered")
    servers = {
        _id(name): {
            "host": f"{name}:{port}",
            "protocol": TRANSPORT,
            "description": f"the {name} service (NestJS microservice, {TRANSPORT.upper()})",
        }
        for name, port, _ in project.services.values()
    }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "id": f"urn:codegen-tasks:project:{_id(project.id)}",
        "info": {
            "title": project.name,
            "version": "1.0.0",
            "description": project.description or f"Message contracts of {project.name}",
        },
        "defaultContentType": "application/json",
        "servers": servers,
        "channels": doc.channels,
        "operations": doc.operations,
        "components": {"messages": doc.messages},
    }
