"""Optional AI help after the deterministic checks: a code review that adds warnings, and
contract descriptions. Neither can turn a failed check into a pass or change a static fact."""

from __future__ import annotations

from typing import Any

from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract, Finding, ValidationLevel, ValidationResult
from codegen_tasks.errors import CodegenError
from codegen_tasks.generation.parsing import extract_json
from codegen_tasks.generation.prompts import (
    PROMPT_VERSION,
    contract_discovery_messages,
    validation_messages,
)
from codegen_tasks.pipeline.ask import CallContext, ask
from codegen_tasks.pipeline.context import Deps
from codegen_tasks.pipeline.generators import Generator
from codegen_tasks.ports.llm import ChatMessage, CompletionRequest

REVIEW_PREFIX = "AI review: "


def _ask_json(deps: Deps, ctx: CallContext, model: str, messages: list[ChatMessage]) -> Any:
    request = CompletionRequest(
        model=model,
        messages=messages,
        temperature=deps.settings.temperature,
        max_tokens=4000,
        prompt_version=PROMPT_VERSION,
    )
    answer = ask(deps, request, ctx)
    return extract_json(answer.completion.content, key=None)


def _level(value: object) -> ValidationLevel:
    try:
        return ValidationLevel(str(value))
    except ValueError:
        return ValidationLevel.STRUCTURAL


def review_findings(raw: Any) -> list[Finding]:
    """The review's errors and warnings, every one kept as a warning (advice, not a verdict)."""
    if not isinstance(raw, dict):
        return []
    findings: list[Finding] = []
    for key in ("errors", "warnings"):
        for item in raw.get(key) or []:
            if not isinstance(item, dict) or not str(item.get("message", "")).strip():
                continue
            line = item.get("line")
            findings.append(
                Finding(
                    level=_level(item.get("level")),
                    message=REVIEW_PREFIX + str(item["message"])[:500],
                    file=str(item["file"])[:300] if item.get("file") else None,
                    line=line if isinstance(line, int) and line >= 0 else 0,
                )
            )
    return findings


def with_review(
    deps: Deps,
    ctx: CallContext,
    generator: Generator,
    service_name: str,
    files: list[GeneratedFile],
    result: ValidationResult,
) -> ValidationResult:
    """`result` plus the model's review as warnings; the pass/fail levels are untouched."""
    if not generator.calls_model:
        note = Finding(
            level=ValidationLevel.STRUCTURAL,
            message=REVIEW_PREFIX + "skipped: the built-in generator has no model to review with",
        )
        return result.with_findings(warnings=[note])
    try:
        raw = _ask_json(deps, ctx, generator.model, validation_messages(service_name, files))
    except (CodegenError, ValueError) as exc:
        message = exc.message if isinstance(exc, CodegenError) else str(exc)
        note = Finding(
            level=ValidationLevel.STRUCTURAL, message=f"{REVIEW_PREFIX}failed: {message}"
        )
        return result.with_findings(warnings=[note])
    return result.with_findings(warnings=review_findings(raw))


def merge_descriptions(contracts: list[Contract], raw: Any) -> list[Contract]:
    """Fill in missing descriptions from the model's answer, matched by pattern; every
    statically discovered fact (pattern, type, request and response types) stays as it is."""
    described: dict[str, str] = {}
    items = raw.get("contracts") if isinstance(raw, dict) else None
    for item in items or []:
        if isinstance(item, dict) and item.get("pattern") and item.get("description"):
            described[str(item["pattern"])] = str(item["description"])[:500]
    return [
        c
        if c.description or c.pattern not in described
        else c.model_copy(update={"description": described[c.pattern]})
        for c in contracts
    ]


def describe_contracts(
    deps: Deps,
    ctx: CallContext,
    generator: Generator,
    service_name: str,
    files: list[GeneratedFile],
    contracts: list[Contract],
) -> list[Contract]:
    """Contracts with AI descriptions added where discovery found none (best effort)."""
    if not generator.calls_model or all(c.description for c in contracts):
        return contracts
    messages = contract_discovery_messages(service_name, files)
    try:
        raw = _ask_json(deps, ctx, generator.model, messages)
    except (CodegenError, ValueError):
        return contracts
    return merge_descriptions(contracts, raw)
