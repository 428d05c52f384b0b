"""Payload rules: limits of the database columns, one id rule, safe model names, and
refusals that name each bad field."""

from __future__ import annotations

import pytest

from codegen_tasks.adapters.history.tables import LLMCallRow, RunRow
from codegen_tasks.api.payload_rules import MAX_MODEL, MAX_RUN_ID, MAX_USER_ID, parse_payload
from codegen_tasks.api.payloads import GenerateProjectPayload, GenerateServicePayload
from codegen_tasks.errors import PayloadError


def test_limits_match_the_database_columns() -> None:
    runs, calls = RunRow.__table__.c, LLMCallRow.__table__.c
    assert runs.id.type.length == runs.batch_id.type.length == MAX_RUN_ID
    assert runs.user_id.type.length == calls.user_id.type.length == MAX_USER_ID
    assert runs.model.type.length == calls.model.type.length == MAX_MODEL


@pytest.mark.parametrize(
    "model",
    ["anthropic/claude-3.5-sonnet", "openai/gpt-4o:free", "builtin/scaffold", "x-ai/grok-2@v1"],
)
def test_openrouter_model_ids_are_accepted(model: str) -> None:
    payload = parse_payload(GenerateProjectPayload, {"projectId": "p", "aiModel": model})
    assert payload.ai_model == model


@pytest.mark.parametrize(
    "model", ["~/models/x", "../x", "/abs/model", "a//b", "a b/c", "a/b\x00", "a/.hidden", ""]
)
def test_unsafe_model_names_are_refused(model: str) -> None:
    with pytest.raises(PayloadError) as refused:
        parse_payload(GenerateProjectPayload, {"projectId": "p", "aiModel": model})
    assert refused.value.data["problems"][0].startswith("aiModel: ")


def test_run_ids_follow_the_id_rule_and_fit_their_column() -> None:
    ok = parse_payload(GenerateProjectPayload, {"projectId": "p", "runId": "r" * MAX_RUN_ID})
    assert ok.run_id == "r" * MAX_RUN_ID
    for bad in ("../../x", "r" * (MAX_RUN_ID + 1), "a/b", "$(x)"):
        with pytest.raises(PayloadError, match="runId: "):
            parse_payload(GenerateServicePayload, {"projectId": "p", "nodeId": "n", "runId": bad})


def test_every_bad_field_is_named() -> None:
    with pytest.raises(PayloadError) as refused:
        parse_payload(
            GenerateProjectPayload,
            {"projectId": 5, "metadata": {"userId": "a\x00"}, "stream": "maybe", "extra": 1},
        )
    fields = sorted(p.split(":")[0] for p in refused.value.data["problems"])
    assert fields == ["extra", "metadata.userId", "projectId", "stream"]
    with pytest.raises(PayloadError, match="must be a JSON object"):
        parse_payload(GenerateProjectPayload, ["not", "an", "object"])


def test_ai_review_is_one_name_and_ai_describe_its_old_alias() -> None:
    from codegen_tasks.api.payloads import ContractsPayload

    ids = {"projectId": "p", "nodeId": "n"}
    assert parse_payload(ContractsPayload, {**ids, "aiReview": True}).ai_review
    assert parse_payload(ContractsPayload, {**ids, "aiDescribe": True}).ai_review
    assert parse_payload(ContractsPayload, ids).wire()["aiReview"] is False
