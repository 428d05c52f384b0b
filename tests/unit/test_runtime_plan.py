"""The runtime check's pure core: payloads from DTOs, the probe plan, judging transcripts and
merging the report into the seven levels."""

from __future__ import annotations

from typing import Any

from codegen_tasks.checks.contracts import discover_contracts
from codegen_tasks.checks.contracts.syntax import parse_bundle
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.runtime.judge import excerpt, judge
from codegen_tasks.checks.runtime.payloads import PayloadBuilder
from codegen_tasks.checks.runtime.plan import ProbePlan, build_plan, health_only
from codegen_tasks.checks.runtime.report import Exit, RuntimeReport, Transcript
from codegen_tasks.checks.static.typescript import TypeScriptReport
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.pipeline.check import combine
from codegen_tasks.pipeline.feedback import error_lines
from tests.examples import node_id, shop

DTO = """
export class Address { city!: string; }
export class SignUpDto {
  email!: string;
  password!: string;
  age?: number;
  admin: boolean = false;
  plan: 'free' | 'pro' = 'free';
  tags!: string[];
  address!: Address;
  note?: SomethingUnknown;
  private secret?: string;
  static VERSION = 1;
}
export interface Page { offset?: number; limit?: number }
"""


def _spec(name: str) -> ServiceSpec:
    raw = shop()
    return build_service_spec(parse_graph(raw).graph, node_id(raw, name), "shop")


def _plan(name: str) -> ProbePlan:
    spec = _spec(name)
    files = render_service(spec)
    return build_plan(spec, files, discover_contracts(files).contracts)


def test_payloads_follow_the_dto_types() -> None:
    builder = PayloadBuilder(parse_bundle([GeneratedFile(path="src/dto.ts", content=DTO)]))
    assert builder.sample("SignUpDto") == {
        "email": "probe0@example.com",
        "password": "Probe-password-0!",
        "age": 100,
        "admin": True,
        "plan": "free",
        "tags": [],
        "address": {"city": "probe-city-0"},
    }
    assert builder.sample("Partial<Page>") == {"offset": 100, "limit": 100}
    assert builder.sample("Unknown") == {} and builder.sample(None) == {}


def test_crud_services_get_a_round_trip_then_every_other_handler() -> None:
    plan = _plan("orders")
    names = [s.name for s in plan.steps]
    assert names == [
        "orders.health",
        "create",
        "findOne",
        "update",
        "findOne (after update)",
        "remove",
        "orders.findAll",
        "orders.health (after every handler)",
    ]
    assert plan.round_trip is not None and plan.round_trip.key == "id"
    sent = {"userId": "probe-userId-0", "totalCents": 100, "status": "probe-status-0"}
    assert plan.round_trip.sent == sent
    update = plan.steps[3]
    assert update.refs == {"id": ["create", "id"]}
    assert update.data == {plan.round_trip.changed: plan.round_trip.changed_to}
    assert plan.http_port is None and plan.tcp_port == 3001


def test_a_database_without_a_server_leaves_only_the_health_steps() -> None:
    plan = health_only(_plan("orders"))
    assert [s.name for s in plan.steps] == ["orders.health", "orders.health (after every handler)"]
    assert plan.round_trip is None and plan.service == "orders"


def test_other_blueprints_and_the_gateway() -> None:
    payments = _plan("payments")
    assert payments.round_trip is None
    charge = next(s for s in payments.steps if s.pattern == "payments.charge")
    sample = {"orderId": "probe-orderId-0", "amountCents": 100, "currency": "probe-currency-0"}
    assert charge.data == sample
    assert charge.file == "src/payments/payments.controller.ts" and charge.line > 0
    gateway = _plan("api-gateway")
    assert gateway.http_port == 3000
    assert [s.pattern for s in gateway.steps] == ["api-gateway.health", "api-gateway.health"]


def _record(name: str, pattern: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "pattern": pattern, "data": {}, **extra}


def test_judging_a_transcript() -> None:
    plan = _plan("payments")
    steps = [
        _record("payments.health", "payments.health", reply={"status": "ok"}),
        _record(
            "payments.charge",
            "payments.charge",
            error={"status": "error", "message": "Internal server error"},
        ),
        _record("payments.refund", "payments.refund", error={"status": 404, "message": "no"}),
        _record("payments.health (after every handler)", "payments.health", timedOut=True),
    ]
    stderr = "\x1b[31mERROR\x1b[0m [RpcExceptionsHandler] boom\n"
    transcript = Transcript.model_validate({"listening": True, "steps": steps, "stderr": stderr})
    report = judge(plan, transcript, boot_timeout_s=5, call_timeout_s=2)
    assert report.health_passed is True and report.runtime_passed is False
    charge, after = report.runtime
    assert "'payments.charge'" in charge.message and "unhandled exception" in charge.message
    assert "with payload {" in charge.message
    assert "ERROR [RpcExceptionsHandler] boom" in charge.message
    assert charge.file == "src/payments/payments.controller.ts"
    assert "no reply within 2s" in after.message


def test_a_service_that_never_listens_fails_health_and_is_not_exercised() -> None:
    plan = _plan("payments")
    transcript = Transcript(listening=False, exited=Exit(code=1), stderr="Error: Nest can't X\n")
    report = judge(plan, transcript, boot_timeout_s=5, call_timeout_s=2)
    assert report.health_passed is False and report.runtime_passed is None
    assert "exited (code 1) before listening on PORT=3001" in report.health[0].message
    assert "Nest can't X" in report.health[0].message


def test_a_transcript_without_answers_fails() -> None:
    plan, silent = _plan("payments"), Transcript(listening=True)
    report = judge(plan, silent, boot_timeout_s=5, call_timeout_s=2)
    assert report.health_passed is False


def test_excerpt_prefers_error_lines() -> None:
    assert excerpt("starting\nlistening\n") == "starting\nlistening"
    assert excerpt("a\nTypeError: x\nb\n") == "TypeError: x"


def test_combine_merges_the_runtime_report() -> None:
    spec = _spec("payments")
    files = render_service(spec)
    ts = TypeScriptReport()
    failed = RuntimeReport(
        health=[],
        runtime=[Finding(level=ValidationLevel.RUNTIME, message="boom")],
        exercised=True,
    )
    result = combine(spec, files, ts, runtime=failed)
    assert result.health_check_passed is True and result.runtime_passed is False
    assert not result.passed and result.errors[-1].message == "boom"
    assert error_lines(result)[-1] == "[runtime] boom"  # fed back to the model like tsc's
    assert "runtimePassed" in result.wire() and "healthCheckPassed" in result.wire()
    skipped = RuntimeReport(skipped="no sandbox", warnings=[])
    merged = combine(spec, files, ts, runtime=skipped)
    assert merged.runtime_passed is None and merged.health_check_passed is True and merged.passed
    dead = RuntimeReport(health=[Finding(level=ValidationLevel.HEALTH_CHECK, message="x")])
    assert combine(spec, files, ts, runtime=dead).health_check_passed is False
