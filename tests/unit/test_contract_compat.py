"""Typed contracts without I/O: which checks a project implies, the module that runs them,
how compiler diagnostics become located errors, breaking changes by pattern, AsyncAPI shape."""

from __future__ import annotations

from codegen_tasks.api.payloads import GenerateProjectPayload
from codegen_tasks.checks.contracts import discover
from codegen_tasks.checks.contracts.asyncapi import Project, asyncapi_document, payload_types
from codegen_tasks.checks.contracts.breaking import pattern_changes
from codegen_tasks.checks.contracts.compat import MODULE, ServiceBundle, apply_typed, plan_checks
from codegen_tasks.checks.contracts.typetext import callee_types
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import (
    BreakingChange,
    Contract,
    RunResult,
    RunStatus,
    ValidationResult,
)
from codegen_tasks.generation.prompts import build_service_prompt
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.generation.scaffold.naming import default_port
from codegen_tasks.pipeline.latest import asyncapi_latest
from codegen_tasks.report.page import render_report
from tests.drive import run_project
from tests.examples import SHOP_PROJECT_ID, shop
from tests.unit.conftest import MakeDeps
from tests.unit.test_scaffold import shop_specs

SPECS = shop_specs()
SHOP = [
    ServiceBundle(n, n, f, discover(f))
    for n, f in ((n, render_service(s)) for n, s in SPECS.items())
]
FOLDERS = {b.key: f"b{i}" for i, b in enumerate(SHOP)}


def test_every_call_to_a_handled_pattern_is_planned_payload_and_reply() -> None:
    plan = plan_checks(SHOP)
    pairs = {(c.caller.name, c.callee.name, c.call.pattern, c.kind) for c in plan.checks}
    assert ("orders", "payments", "payments.charge", "payload") in pairs
    assert ("orders", "payments", "payments.charge", "reply") in pairs
    assert ("api-gateway", "catalog", "catalog.findAll", "reply") in pairs
    # health calls send `{}`: no payload to check, but the reply is checked
    assert ("orders", "catalog", "catalog.health", "payload") not in pairs
    assert ("orders", "catalog", "catalog.health", "reply") in pairs
    assert plan.notes == {}


def test_the_module_imports_both_sides_and_asserts_one_check_per_line() -> None:
    plan = plan_checks(SHOP)
    module = plan.sources(FOLDERS)[MODULE]
    assert "import type { PaymentsClient as T" in module
    assert "from '../" + FOLDERS["payments"] + "/src/payments/payments.controller';" in module
    lines = [line for line in module.splitlines() if line.startswith("export const check")]
    assert len(lines) == len(plan.checks)
    charge = next(
        c for c in plan.checks if c.call.pattern == "payments.charge" and c.kind == "payload"
    )
    index = plan.checks.index(charge)
    assert "Parameters<" in lines[index] and "['charge']>[0]" in lines[index]


def test_a_failing_line_becomes_one_located_error_on_the_caller() -> None:
    plan = plan_checks(SHOP)
    module = plan.sources(FOLDERS)[MODULE].splitlines()
    index = next(
        i
        for i, c in enumerate(plan.checks)
        if c.call.pattern == "payments.charge" and c.kind == "payload"
    )
    line = next(
        n for n, text in enumerate(module, 1) if text.startswith(f"export const check{index}:")
    )
    message = (
        "TS2322: Type 'number' is not assignable to type 'string'. (column 14) "
        f'In import("/x/work/{FOLDERS["payments"]}/src/payments/dto/payment.dto")'
    )
    found = plan.findings([(f"extra/{MODULE}", line, message), (f"extra/{MODULE}", line, "again")])
    [error] = found["orders"].errors
    assert error.file == "src/clients/payments.client.ts" and error.line > 0
    assert "'payments.charge'" in error.message and "payments/src/payments/" in error.message
    assert "TS2322" in error.message and "(column" not in error.message
    assert "/x/work" not in error.message
    result = apply_typed(ValidationResult(contract_passed=True), found["orders"])
    assert result.contract_passed is False and result.errors == [error]


def test_a_call_whose_payload_cannot_be_named_is_a_warning_not_a_guess() -> None:
    caller = GeneratedFile(
        path="src/a.ts",
        content=(
            "import { ClientProxy } from '@nestjs/microservices';\n"
            "export class A {\n  constructor(private readonly c: ClientProxy) {}\n"
            "  go(): void {\n    this.c.emit('b.done', { at: Date.now() });\n  }\n}\n"
        ),
    )
    handler = GeneratedFile(
        path="src/b.ts",
        content=(
            "import { EventPattern } from '@nestjs/microservices';\n"
            "export class B {\n  @EventPattern('b.done')\n"
            "  done(event: { at: number }): void {}\n}\n"
        ),
    )
    bundles = [ServiceBundle(k, k, [f], discover([f])) for k, f in (("a", caller), ("b", handler))]
    plan = plan_checks(bundles)
    assert plan.checks == []
    [note] = plan.notes["a"]
    assert "not type-checked" in note.message and "not a parameter" in note.message


def contract(pattern: str, handler: str, kind: str = "request") -> Contract:
    return Contract.model_validate({"pattern": pattern, "type": kind, "handler": handler})


def test_pattern_changes_renamed_removed_and_kind() -> None:
    old = [contract("c.findOne", "findOne"), contract("c.list", "list"), contract("c.x", "x")]
    new = [contract("c.getOne", "findOne"), contract("c.x", "x", "event")]
    changes = pattern_changes("n1", "c", old, new)
    assert [(c.kind, c.pattern, c.new_pattern) for c in changes] == [
        ("pattern_renamed", "c.findOne", "c.getOne"),
        ("pattern_removed", "c.list", None),
        ("kind_changed", "c.x", None),
    ]
    assert pattern_changes("n1", "c", old, old) == []
    # one pattern out, one in: a rename even when the handler was renamed too
    [renamed] = pattern_changes("n1", "c", [contract("c.a", "a")], [contract("c.b", "b")])
    assert renamed.kind == "pattern_renamed" and "'c.a' was renamed to 'c.b'" in renamed.message


def test_breaking_changes_are_on_the_wire_and_in_the_report() -> None:
    change = BreakingChange(
        node_id="n1",
        service_name="catalog",
        kind="pattern_renamed",
        pattern="catalog.findOne",
        new_pattern="catalog.getOne",
        message="'catalog.findOne' was renamed",
    )
    result = RunResult(
        project_id="p", run_id="r", status=RunStatus.SUCCEEDED, breaking_changes=[change]
    )
    assert result.wire()["breakingChanges"][0]["newPattern"] == "catalog.getOne"
    page = render_report(result, parse_graph(shop()))
    assert "<h2>Breaking changes</h2>" in page and "catalog.getOne" in page


def test_asyncapi_lists_every_graph_pattern_with_send_and_receive_operations() -> None:
    services = {
        spec.name: (spec.name, default_port(spec.name), spec.patterns()) for spec in SPECS.values()
    }
    types = payload_types(SHOP)
    assert types  # handler payloads and replies, named for the schema tool
    document = asyncapi_document(Project("p-1", "shop", "", services), SHOP, types, {})
    assert document["asyncapi"] == "3.0.0"
    addresses = {c["address"] for c in document["channels"].values()}
    for spec in SPECS.values():
        assert set(spec.patterns()) <= addresses
    ops = document["operations"]
    assert ops["payments.receive.payments.charge"]["action"] == "receive"
    assert ops["orders.send.payments.charge"]["reply"]["channel"] == {
        "$ref": "#/channels/payments.charge.reply"
    }
    assert document["channels"]["payments.charge.reply"]["address"] is None
    assert document["servers"]["payments"]["protocol"] == "tcp"
    # without schemas the messages carry the discovered type names only
    message = document["components"]["messages"]["payments.charge.request"]
    assert "payload" not in message and message["x-codegen-type"]


def test_a_callers_prompt_carries_the_callees_exact_types() -> None:
    payments = next(b for b in SHOP if b.key == "payments")
    types = callee_types(payments.files, payments.report.contracts)
    assert any(d.startswith("export class PaymentsChargeDto {") for d in types.declarations)
    payment = next(d for d in types.declarations if "interface PaymentsPayment" in d)
    assert "status: 'charged' | 'refunded';" in payment
    prompt = build_service_prompt(SPECS["orders"], {"payments": types})
    assert "exact message types of payments" in prompt
    assert "'payments.charge': payload PaymentsChargeDto, reply PaymentsPayment" in prompt
    assert "orderId!: string;" in prompt
    assert "exact message types" not in build_service_prompt(SPECS["orders"])


def test_asyncapi_of_a_stored_project_without_the_contract_tools(make_deps: MakeDeps) -> None:
    deps = make_deps()
    payload = GenerateProjectPayload(project_id=SHOP_PROJECT_ID, graph=shop(), ai_model="m/x")
    run_project(deps, payload)
    document = asyncapi_latest(deps, SHOP_PROJECT_ID)
    assert "not derived" in document["info"]["x-codegen-payload-schemas"]
    assert {c["address"] for c in document["channels"].values()} >= {
        p for spec in SPECS.values() for p in spec.patterns()
    }


def test_a_batch_that_was_not_type_checked_leaves_notes_not_verdicts() -> None:
    plan = plan_checks(SHOP)
    plan.sources(FOLDERS)
    found = plan.findings([], "a syntax error kept tsc from type-checking")
    assert set(found) == {"orders", "api-gateway"}
    assert all(not f.errors and f.warnings for f in found.values())
    assert "payload unchecked, a syntax error" in found["orders"].warnings[0].message
