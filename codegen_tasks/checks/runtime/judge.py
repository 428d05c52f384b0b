"""From the probe's transcript to findings. Pure: plan and transcript in, report out.

health_check: the service listened on its port, answered `<service>.health` with
`{status: 'ok'}` (and the gateway `GET /health`). runtime: every handler replied without an
unhandled exception within the time limit, the CRUD round trip returned what was stored and
the service still answered health afterwards. Each finding quotes the payload sent and the
service's own stderr."""

from __future__ import annotations

import json
import re
from typing import Any

from codegen_tasks.checks.runtime.plan import ProbePlan, ProbeStep, RoundTrip
from codegen_tasks.checks.runtime.report import NO_HANDLER, RuntimeReport, StepRecord, Transcript
from codegen_tasks.domain.results import Finding, ValidationLevel

UNHANDLED_MESSAGE = "Internal server error"  # NestJS's reply to an exception it did not expect
MAX_EXCERPT = 1500
MAX_PAYLOAD = 300
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_ERRORISH = re.compile(r"error|exception|fatal|unhandled", re.IGNORECASE)


def excerpt(stderr: str, stdout: str = "") -> str:
    """The lines of the service's output that explain a failure (errors first, else its tail)."""
    lines = [_ANSI.sub("", line).rstrip() for line in (stderr or stdout).splitlines()]
    lines = [line for line in lines if line.strip()]
    chosen = [line for line in lines if _ERRORISH.search(line)][:6] or lines[-6:]
    text = "\n".join(chosen)
    return text if len(text) <= MAX_EXCERPT else text[: MAX_EXCERPT - 1] + "…"


def _compact(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    return text if len(text) <= MAX_PAYLOAD else text[: MAX_PAYLOAD - 1] + "…"


def _with_output(message: str, transcript: Transcript) -> str:
    said = excerpt(transcript.stderr, transcript.stdout)
    return f"{message}; service output: {said}" if said else f"{message}; it printed nothing"


def _finding(level: ValidationLevel, message: str, step: ProbeStep | None = None) -> Finding:
    file, line = (step.file, step.line) if step is not None else (None, 0)
    return Finding(level=level, message=message, file=file, line=line)


def _boot_findings(plan: ProbePlan, transcript: Transcript, seconds: float) -> list[Finding]:
    level = ValidationLevel.HEALTH_CHECK
    if transcript.probe_error:
        return [_finding(level, f"runtime probe failed: {transcript.probe_error[:MAX_EXCERPT]}")]
    if transcript.listening:
        return []
    ports = f"PORT={plan.tcp_port}" + (f" and HTTP_PORT={plan.http_port}" if plan.http_port else "")
    if transcript.exited is not None:
        how = transcript.exited.signal or f"code {transcript.exited.code}"
        text = f"the service exited ({how}) before listening on {ports}"
    else:
        text = f"the service did not listen on {ports} within {seconds:g}s"
    return [_finding(level, _with_output(text, transcript))]


def step_problem(record: StepRecord, call_timeout_s: float) -> str | None:
    """Why a reply counts as a failure of its handler (None: it answered)."""
    if record.timed_out:
        return f"no reply within {call_timeout_s:g}s (a handler that never settles)"
    error = record.error
    if error is None:
        return None
    if isinstance(error, dict):
        message = str(error.get("message", ""))
        if error.get("status") == "error" and message == UNHANDLED_MESSAGE:
            return "an unhandled exception (NestJS answered 'Internal server error')"
        if message.startswith(NO_HANDLER):
            return f"no handler answers this pattern ({message})"
        return None  # an RpcException the handler chose to throw: handled
    if isinstance(error, str) and error.startswith(NO_HANDLER):
        return f"no handler answers this pattern ({error})"
    return f"the call failed: {_compact(error)}"


def _health_problem(record: StepRecord, call_timeout_s: float) -> str | None:
    problem = step_problem(record, call_timeout_s)
    if problem is None and record.error is not None:
        problem = f"answered with an error: {_compact(record.error)}"
    reply = record.reply
    if problem is None and not (isinstance(reply, dict) and reply.get("status") == "ok"):
        problem = f"answered {_compact(reply)} instead of {{status: 'ok'}}"
    return problem


def _round_trip_problem(record: StepRecord, trip: RoundTrip, replies: dict[str, Any]) -> str | None:
    if record.error is not None:
        return f"answered with an error: {_compact(record.error)}"
    reply = record.reply
    created = replies.get("create")
    if record.name == "create":
        if not isinstance(reply, dict) or trip.key not in reply:
            return f"answered {_compact(reply)}, not an entity with its '{trip.key}'"
        lost = {k: v for k, v in trip.sent.items() if reply.get(k) != v}
        return f"did not store {_compact(lost)}; answered {_compact(reply)}" if lost else None
    if record.name == "findOne" and reply != created:
        return f"answered {_compact(reply)}, not the created {_compact(created)}"
    changed = trip.changed
    after = record.name in ("update", "findOne (after update)") and changed is not None
    if after and (not isinstance(reply, dict) or reply.get(changed or "") != trip.changed_to):
        return f"answered {_compact(reply)}: '{changed}' is not {_compact(trip.changed_to)}"
    return None


def _step_findings(
    plan: ProbePlan, transcript: Transcript, call_timeout_s: float
) -> tuple[list[Finding], list[Finding]]:
    health: list[Finding] = []
    runtime: list[Finding] = []
    replies: dict[str, Any] = {}
    steps = {s.name: s for s in plan.steps}
    for index, record in enumerate(transcript.steps):
        step = steps[record.name]
        replies[record.name] = record.reply
        if step.purpose == "health":
            problem = _health_problem(record, call_timeout_s)
            target = health if index == 0 else runtime
            level = ValidationLevel.HEALTH_CHECK if index == 0 else ValidationLevel.RUNTIME
        else:
            problem = step_problem(record, call_timeout_s)
            if problem is None and step.purpose == "round_trip" and plan.round_trip:
                problem = _round_trip_problem(record, plan.round_trip, replies)
            target, level = runtime, ValidationLevel.RUNTIME
        if problem is None and not record.alive:
            problem = "the service exited while handling it"
        if problem is not None:
            sent = f" with payload {_compact(record.data)}" if step.purpose != "health" else ""
            text = f"'{record.pattern}' ({record.name}){sent}: {problem}"
            target.append(_finding(level, _with_output(text, transcript), step))
    return health, runtime


def _http_findings(plan: ProbePlan, transcript: Transcript) -> list[Finding]:
    if plan.http_port is None or not transcript.listening or transcript.http is None:
        return []
    answer = transcript.http
    try:
        body = json.loads(answer.body) if answer.body else None
    except ValueError:
        body = None
    if answer.status == 200 and isinstance(body, dict) and body.get("status") == "ok":
        return []
    said = answer.error or f"HTTP {answer.status} {answer.body[:200]!r}"
    text = f"GET /health on HTTP_PORT={plan.http_port} answered {said}, not {{status: 'ok'}}"
    return [_finding(ValidationLevel.HEALTH_CHECK, _with_output(text, transcript))]


def judge(
    plan: ProbePlan,
    transcript: Transcript,
    *,
    boot_timeout_s: float,
    call_timeout_s: float,
    seconds: float = 0.0,
) -> RuntimeReport:
    boot = _boot_findings(plan, transcript, boot_timeout_s)
    health, runtime = _step_findings(plan, transcript, call_timeout_s)
    health = [*boot, *health, *_http_findings(plan, transcript)]
    if health:  # it never answered its health check: the handlers are not judged
        runtime = []
    if transcript.listening and not transcript.steps and not health:
        health.append(_finding(ValidationLevel.HEALTH_CHECK, "the probe recorded no answer"))
    elif transcript.steps and len(transcript.steps) < len(plan.steps) and not runtime:
        runtime.append(
            _finding(
                ValidationLevel.RUNTIME,
                _with_output("the service stopped before every handler was exercised", transcript),
            )
        )
    return RuntimeReport(
        health=health, runtime=runtime, exercised=not health, seconds=round(seconds, 3)
    )
