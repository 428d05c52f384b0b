"""The report page: a pure function of a run's result, its graph and a few timings."""

from __future__ import annotations

from datetime import datetime
from html import escape

from pydantic import BaseModel, Field

from codegen_tasks.domain.graph import ProjectGraph
from codegen_tasks.domain.results import RunResult, ServiceResult, ValidationResult
from codegen_tasks.report.style import CSS, LEVEL_COLOURS, STATUS_COLOURS, status_colour
from codegen_tasks.report.svg import graph_svg

LEVELS = (
    ("structural", "structural_passed"),
    ("contract", "contract_passed"),
    ("typescript", "typescript_passed"),
    ("build", "build_passed"),
    ("health check", "health_check_passed"),
    ("contract discovery", "contract_discovery_passed"),
    ("runtime", "runtime_passed"),
)


class ReportMeta(BaseModel):
    """What the report shows besides the RunResult: model and timings."""

    model: str | None = None
    batch_id: str | None = None
    created_at: datetime | None = None
    finished_at: datetime | None = None
    durations_ms: dict[str, float] = Field(default_factory=dict)  # per node id


def _badge(status: str) -> str:
    return f'<span class="badge" style="background:{status_colour(status)}">{escape(status)}</span>'


def _level(value: bool | None) -> str:
    text = {True: "pass", False: "fail", None: "—"}[value]
    return f'<span class="cell" style="background:{LEVEL_COLOURS[value]}">{text}</span>'


def _matrix(services: list[ServiceResult]) -> str:
    head = "".join(f"<th>{name}</th>" for name, _ in LEVELS)
    rows = []
    for s in services:
        v = s.validation or ValidationResult()
        cells = "".join(f"<td>{_level(getattr(v, attr))}</td>" for _, attr in LEVELS)
        errors = "".join(
            f'<div class="error">[{escape(e.level.value)}] {escape(e.file or "")}'
            f"{':' + str(e.line) if e.line else ''} {escape(e.message[:200])}</div>"
            for e in v.errors[:5]
        )
        rows.append(f"<tr><td>{escape(s.service_name)}</td>{cells}<td>{errors}</td></tr>")
    return f"<table><tr><th>service</th>{head}<th>errors</th></tr>{''.join(rows)}</table>"


def _contracts(services: list[ServiceResult]) -> str:
    rows = [
        f"<tr><td>{escape(s.service_name)}</td><td><code>{escape(c.pattern)}</code></td>"
        f"<td>{escape(c.type)}</td><td><code>{escape(c.request_type or '')}</code></td>"
        f"<td><code>{escape(c.response_type or '')}</code></td>"
        f"<td>{escape(c.handler or '')}</td></tr>"
        for s in services
        for c in s.contracts
    ]
    if not rows:
        return "<p>No contracts discovered.</p>"
    head = "<tr><th>service</th><th>pattern</th><th>type</th><th>request</th>"
    return f"<table>{head}<th>response</th><th>handler</th></tr>{''.join(rows)}</table>"


def _breaking(result: RunResult) -> str:
    if not result.breaking_changes:
        return "<p>No breaking changes against the last successful contracts.</p>"
    rows = [
        f"<tr><td>{escape(c.service_name)}</td><td>{escape(c.kind)}</td>"
        f"<td><code>{escape(c.pattern)}</code></td>"
        f"<td><code>{escape(c.new_pattern or '')}</code></td>"
        f'<td class="error">{escape(c.message[:300])}</td></tr>'
        for c in result.breaking_changes
    ]
    head = "<tr><th>service</th><th>change</th><th>pattern</th><th>now</th><th>detail</th></tr>"
    return f"<table>{head}{''.join(rows)}</table>"


def _usage(services: list[ServiceResult], meta: ReportMeta) -> str:
    rows = []
    for s in services:
        ms = meta.durations_ms.get(s.node_id)
        rows.append(
            f"<tr><td>{escape(s.service_name)}</td><td>{_badge(s.status.value)}</td>"
            f'<td class="num">{s.files}</td><td>{"yes" if s.cached else ""}</td>'
            f'<td class="num">{s.tokens}</td><td class="num">${s.cost_usd:.4f}</td>'
            f'<td class="num">{"" if ms is None else f"{ms / 1000:.1f}s"}</td>'
            f"<td>{escape(s.model or '')}</td>"
            f'<td class="error">{escape((s.error or "")[:200])}</td></tr>'
        )
    head = "<tr><th>service</th><th>status</th><th>files</th><th>cached</th><th>tokens</th>"
    tail = "<th>cost</th><th>time</th><th>model</th><th>error</th></tr>"
    return f"<table>{head}{tail}{''.join(rows)}</table>"


def _cards(result: RunResult, meta: ReportMeta) -> str:
    took = ""
    if meta.created_at and meta.finished_at:
        took = f"{(meta.finished_at - meta.created_at).total_seconds():.1f}s"
    items = [
        ("status", result.status.value),
        ("services", str(len(result.services))),
        ("tokens", str(sum(s.tokens for s in result.services))),
        ("cost", f"${sum(s.cost_usd for s in result.services):.4f}"),
        ("duration", took or "—"),
    ]
    return "".join(f'<div class="card">{k}<b>{escape(v)}</b></div>' for k, v in items)


def _legend() -> str:
    shown = ("succeeded", "failed", "skipped", "generating")
    items = [f'<span><i style="background:{STATUS_COLOURS[s]}"></i>{s}</span>' for s in shown]
    items.append('<span><i style="background:#8c959f"></i>database / logic</span>')
    return f'<p class="legend">{"".join(items)}</p>'


def render_report(result: RunResult, project: ProjectGraph, meta: ReportMeta | None = None) -> str:
    """The whole page as one HTML string."""
    meta = meta or ReportMeta()
    statuses = {s.node_id: s.status.value for s in result.services}
    name = escape(project.project.name)
    when = meta.created_at.isoformat(timespec="seconds") if meta.created_at else ""
    sub = " · ".join(
        escape(x)
        for x in (f"run {result.run_id}", meta.model or "", when, meta.batch_id or "")
        if x
    )
    cycles = "".join(f"<p>cycle: {escape(' → '.join([*c, c[0]]))}</p>" for c in result.cycles if c)
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{name} — run {escape(result.run_id)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{name} {_badge(result.status.value)}</h1><div class="meta">{sub}</div>'
        f'</header><main><section class="cards">{_cards(result, meta)}</section>'
        f"<section><h2>Graph</h2>{_legend()}{graph_svg(project.graph, statuses)}{cycles}"
        f"</section><section><h2>Validation</h2>{_matrix(result.services)}</section>"
        f"<section><h2>Services: timings, tokens, cost</h2>{_usage(result.services, meta)}"
        f"</section><section><h2>Contracts</h2>{_contracts(result.services)}</section>"
        f"<section><h2>Breaking changes</h2>{_breaking(result)}</section>"
        "</main></body></html>\n"
    )
