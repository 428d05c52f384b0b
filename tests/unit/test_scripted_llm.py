"""ScriptedLLM: the in-memory LLMClient other unit tests drive the pipeline with."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from codegen_tasks.adapters.llm.memory import ScriptedLLM, estimate_tokens, split_text
from codegen_tasks.errors import LLMError
from codegen_tasks.ports.llm import (
    ChatMessage,
    Completion,
    CompletionRequest,
    ModelInfo,
    Usage,
)

SONNET = ModelInfo(
    id="anthropic/claude-3.5-sonnet", prompt_usd_per_mtok=3.0, completion_usd_per_mtok=15.0
)


def request(
    prompt: str = "Generate the orders service", model: str = SONNET.id
) -> CompletionRequest:
    return CompletionRequest(
        model=model,
        messages=[
            ChatMessage(role="system", content="You write NestJS code."),
            ChatMessage(role="user", content=prompt),
        ],
    )


def echo(req: CompletionRequest) -> str:
    return f"answer to: {req.messages[-1].content}"


def test_a_string_answer_becomes_a_complete_stop_completion_with_estimated_usage() -> None:
    llm = ScriptedLLM(echo)
    completion = llm.complete(request("orders"))

    assert completion.content == "answer to: orders"
    assert completion.finish_reason == "stop"
    assert completion.complete
    assert completion.model == SONNET.id
    prompt_tokens = estimate_tokens("You write NestJS code.") + estimate_tokens("orders")
    assert completion.usage.prompt_tokens == prompt_tokens
    assert completion.usage.completion_tokens == estimate_tokens("answer to: orders")
    assert completion.usage.total_tokens == prompt_tokens + completion.usage.completion_tokens
    assert completion.usage.cost_usd is None  # no price known for the model


def test_usage_is_priced_when_the_model_is_among_the_configured_models() -> None:
    llm = ScriptedLLM(echo, models=[SONNET])
    completion = llm.complete(request())

    expected = SONNET.cost_of(completion.usage)
    assert expected is not None and expected > 0
    assert completion.usage.cost_usd == pytest.approx(expected)


def test_every_request_is_recorded_in_order_streaming_ones_included() -> None:
    llm = ScriptedLLM(echo)
    first, second = request("one"), request("two", model="openai/gpt-4o")
    llm.complete(first)
    llm.complete_streaming(second, lambda _chunk: None)

    assert llm.calls == [first, second]


def test_a_completion_answer_is_returned_as_given() -> None:
    truncated = Completion(
        content='{"files": [', finish_reason="length", model="x/y", usage=Usage(total_tokens=9)
    )
    completion = ScriptedLLM(lambda _req: truncated).complete(request())

    assert completion == truncated
    assert not completion.complete


def test_an_exception_answer_is_raised_and_the_call_still_recorded() -> None:
    failure = LLMError("rate limited", status=429, retry_after=3.0, retryable=True)
    llm = ScriptedLLM(lambda _req: failure)

    with pytest.raises(LLMError) as caught:
        llm.complete(request())
    assert caught.value is failure
    assert len(llm.calls) == 1
    with pytest.raises(LLMError):
        llm.complete_streaming(request(), lambda _chunk: pytest.fail("no chunk expected"))


def test_streaming_feeds_the_content_in_several_ordered_pieces() -> None:
    content = "export class OrdersService { findAll() { return []; } }"
    chunks: list[str] = []
    completion = ScriptedLLM(lambda _req: content).complete_streaming(request(), chunks.append)

    assert len(chunks) > 1
    assert "".join(chunks) == content == completion.content


def test_replying_gives_the_answers_in_order_and_fails_one_call_too_many() -> None:
    llm = ScriptedLLM.replying("not json", '{"files": []}')

    assert llm.complete(request()).content == "not json"
    assert llm.complete(request()).content == '{"files": []}'
    with pytest.raises(AssertionError, match="no answer left"):
        llm.complete(request())


def test_models_and_connection_report() -> None:
    llm = ScriptedLLM(echo, models=[SONNET])

    assert llm.list_models() == [SONNET]
    assert ScriptedLLM(echo).list_models() == []
    report = llm.test_connection("openai/gpt-4o")
    assert report.ok
    assert report.model == "openai/gpt-4o"


def test_concurrent_calls_are_all_recorded() -> None:
    llm = ScriptedLLM(echo)
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda i: llm.complete(request(f"p{i}")).content, range(64)))

    assert answers == [f"answer to: p{i}" for i in range(64)]
    assert len(llm.calls) == 64


@pytest.mark.parametrize(
    ("text", "pieces", "expected"),
    [("", 4, []), ("abc", 4, ["a", "b", "c"]), ("abcdefgh", 4, ["ab", "cd", "ef", "gh"])],
)
def test_split_text(text: str, pieces: int, expected: list[str]) -> None:
    assert split_text(text, pieces) == expected


def test_estimate_tokens_is_about_four_characters_a_token_and_at_least_one() -> None:
    assert estimate_tokens("") == 1
    assert estimate_tokens("abcd") == 1
    assert estimate_tokens("abcde") == 2
    assert estimate_tokens("x" * 4000) == 1000
