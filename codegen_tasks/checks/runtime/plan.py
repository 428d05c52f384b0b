"""What the probe sends to a booted service: health, then every handler once, CRUD as a round
trip (create → findOne → update → findOne → remove). Pure: spec and bundle in, plan out."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic import JsonValue as Json

from codegen_tasks.checks.contracts.syntax import parse_bundle
from codegen_tasks.checks.runtime.payloads import DtoField, PayloadBuilder
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract
from codegen_tasks.domain.spec import HEALTH_ACTION, ServiceSpec
from codegen_tasks.domain.wire import Message

TCP_PORT = 3001
HTTP_PORT = 3000
CRUD_ACTIONS = ("create", "findOne", "update", "remove")
Purpose = Literal["health", "handler", "round_trip"]


class ProbeStep(Message):
    """One message to send; `refs` fill payload keys from earlier replies (key → [step, field])."""

    name: str
    pattern: str
    kind: Literal["request", "event"] = "request"
    purpose: Purpose = "handler"
    data: dict[str, Json] = Field(default_factory=dict)
    refs: dict[str, list[str]] = Field(default_factory=dict)
    file: str | None = None
    line: int = 0


class RoundTrip(Message):
    """The CRUD round trip's facts the judge compares replies with."""

    key: str
    sent: dict[str, Json]
    changed: str | None = None
    changed_to: Json = None


class ProbePlan(Message):
    service: str
    tcp_port: int = TCP_PORT
    http_port: int | None = None
    steps: list[ProbeStep] = Field(default_factory=list)
    round_trip: RoundTrip | None = None


def health_step(service: str, name: str) -> ProbeStep:
    return ProbeStep(name=name, pattern=f"{service}.{HEALTH_ACTION}", purpose="health")


def health_only(plan: ProbePlan) -> ProbePlan:
    """The plan's health steps alone: what can be judged when a database has no server."""
    steps = [step for step in plan.steps if step.purpose == "health"]
    return plan.model_copy(update={"steps": steps, "round_trip": None})


def build_plan(
    spec: ServiceSpec, files: list[GeneratedFile], contracts: list[Contract]
) -> ProbePlan:
    builder = PayloadBuilder(parse_bundle(files))
    by_pattern = {c.pattern: c for c in contracts}
    health = f"{spec.name}.{HEALTH_ACTION}"
    steps = [health_step(spec.name, health)]
    crud, round_trip = _round_trip(spec.name, by_pattern, builder)
    steps += crud
    used = {s.pattern for s in steps}
    for contract in contracts:
        if contract.pattern in used:
            continue
        used.add(contract.pattern)
        steps.append(
            ProbeStep(
                name=contract.pattern,
                pattern=contract.pattern,
                kind=contract.type,
                data=builder.sample(contract.request_type),
                file=contract.file,
                line=contract.line,
            )
        )
    steps.append(health_step(spec.name, f"{health} (after every handler)"))
    return ProbePlan(
        service=spec.name,
        http_port=HTTP_PORT if spec.kind == "gateway" else None,
        steps=steps,
        round_trip=round_trip,
    )


def _round_trip(
    service: str, by_pattern: dict[str, Contract], builder: PayloadBuilder
) -> tuple[list[ProbeStep], RoundTrip | None]:
    found = {a: by_pattern.get(f"{service}.{a}") for a in CRUD_ACTIONS}
    if any(c is None or c.type != "request" for c in found.values()):
        return [], None
    create, find, update, remove = (found[a] for a in CRUD_ACTIONS)
    assert create and find and update and remove
    keys = builder.fields(find.request_type)
    if not keys:
        return [], None
    key = next((f.name for f in keys if not f.optional), keys[0].name)
    sent = builder.sample(create.request_type)
    changed = _changeable(builder, builder.fields(update.request_type), key, sent)
    update_data: dict[str, Json] = {}
    if changed is not None:
        update_data[changed.name] = builder.value(changed, variant=1)
    ref = {key: ["create", key]}

    def step(name: str, contract: Contract, data: dict[str, Json] | None = None) -> ProbeStep:
        return ProbeStep(
            name=name,
            pattern=contract.pattern,
            purpose="round_trip",
            data=data or {},
            refs=ref,
            file=contract.file,
            line=contract.line,
        )

    steps = [
        ProbeStep(
            name="create",
            pattern=create.pattern,
            purpose="round_trip",
            data=sent,
            file=create.file,
            line=create.line,
        ),
        step("findOne", find),
        step("update", update, update_data),
        step("findOne (after update)", find),
        step("remove", remove),
    ]
    trip = RoundTrip(
        key=key,
        sent=sent,
        changed=changed.name if changed else None,
        changed_to=update_data.get(changed.name) if changed else None,
    )
    return steps, trip


def _changeable(
    builder: PayloadBuilder, fields: list[DtoField], key: str, sent: dict[str, Json]
) -> DtoField | None:
    """An update field whose sample differs from what create stored."""
    for field in fields:
        if field.name == key or field.name not in sent:
            continue
        value = builder.value(field, variant=1)
        if isinstance(value, str | int | float) and value != sent[field.name]:
            return field
    return None
