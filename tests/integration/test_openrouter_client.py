"""OpenRouterClient against the fake OpenRouter over real HTTP (and ScriptedLLM where shared)."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from email.utils import formatdate
from typing import Any

import pytest
import requests

from codegen_tasks.errors import LLMConfigError, LLMError
from codegen_tasks.llm.base import ChatMessage, CompletionRequest, LLMClient, ModelInfo
from codegen_tasks.llm.memory import ScriptedLLM
from codegen_tasks.llm.openrouter import OpenRouterClient
from codegen_tasks.settings import Settings
from codegen_tasks.testing import (
    MODEL_CATALOG,
    EmptyChoices,
    ErrorBody200,
    FakeOpenRouter,
    Hang,
    HttpError,
    MidStreamError,
    Reply,
    StreamCut,
    Truncated,
)
from tests.fixtures.openrouter import TEST_API_KEY

pytestmark = pytest.mark.integration

SONNET = "anthropic/claude-3.5-sonnet"
CATALOG = [
    ModelInfo(id=key, name=name, prompt_usd_per_mtok=p_in, completion_usd_per_mtok=p_out)
    for key, (name, p_in, p_out, _context) in MODEL_CATALOG.items()
]


def bundle_for(prompt: str) -> str:
    """What the model answers in these tests: a small file bundle naming the prompt."""
    code = f"// {prompt}\nexport class OrdersService {{\n  findAll() {{ return []; }}\n}}\n"
    return json.dumps({"files": [{"path": "src/orders/orders.service.ts", "content": code}]})


def request(prompt: str = "Generate the orders service", model: str = SONNET) -> CompletionRequest:
    return CompletionRequest(
        model=model,
        messages=[
            ChatMessage(role="system", content="You generate NestJS microservices."),
            ChatMessage(role="user", content=prompt),
        ],
        temperature=0.2,
        max_tokens=16000,
    )


def collect(client: LLMClient, req: CompletionRequest) -> tuple[list[str], Exception | None]:
    """The chunks a streaming call delivered, and the error it ended with."""
    chunks: list[str] = []
    try:
        client.complete_streaming(req, chunks.append)
    except LLMError as exc:
        return chunks, exc
    return chunks, None


def failure(client: LLMClient, req: CompletionRequest, *, stream: bool) -> LLMError:
    with pytest.raises(LLMError) as caught:
        if stream:
            client.complete_streaming(req, lambda _chunk: None)
        else:
            client.complete(req)
    return caught.value


# --- the same behaviour from ScriptedLLM and from OpenRouterClient over HTTP -------------


@pytest.fixture(params=["scripted", "openrouter"])
def llm(request: pytest.FixtureRequest, fake_openrouter: FakeOpenRouter) -> Iterator[LLMClient]:
    if request.param == "scripted":
        yield ScriptedLLM(lambda req: bundle_for(req.messages[-1].content), models=CATALOG)
        return
    fake_openrouter.responder = lambda body: bundle_for(body["messages"][-1]["content"])
    with OpenRouterClient(fake_openrouter.base_url, TEST_API_KEY, read_timeout=10) as client:
        yield client


def test_complete_returns_the_answer_with_usage_and_cost(llm: LLMClient) -> None:
    completion = llm.complete(request("orders please"))

    assert completion.content == bundle_for("orders please")
    assert completion.complete and completion.finish_reason == "stop"
    assert completion.model == SONNET
    usage = completion.usage
    assert usage.prompt_tokens > 0 and usage.completion_tokens > 0
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens
    assert usage.cost_usd == pytest.approx(
        usage.prompt_tokens * 3e-6 + usage.completion_tokens * 15e-6
    )


def test_streaming_delivers_the_answer_in_ordered_chunks(llm: LLMClient) -> None:
    chunks: list[str] = []
    completion = llm.complete_streaming(request("stream it"), chunks.append)

    assert len(chunks) > 1
    assert "".join(chunks) == bundle_for("stream it") == completion.content
    assert completion.complete and completion.model == SONNET
    assert completion.usage.completion_tokens > 0 and completion.usage.cost_usd


def test_models_are_listed_with_prices_per_million_tokens(llm: LLMClient) -> None:
    models = {model.id: model for model in llm.list_models()}

    assert set(models) == set(MODEL_CATALOG)
    assert (models[SONNET].prompt_usd_per_mtok, models[SONNET].completion_usd_per_mtok) == (3, 15)
    deepseek = models["deepseek/deepseek-chat"]
    assert (deepseek.prompt_usd_per_mtok, deepseek.completion_usd_per_mtok) == (0.14, 0.28)


def test_connection_test_succeeds(llm: LLMClient) -> None:
    report = llm.test_connection(SONNET)

    assert report.ok and report.model == SONNET


# --- the wire ----------------------------------------------------------------------------


def test_request_on_the_wire(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    openrouter_client.complete(request("hello"))

    (recorded,) = fake_openrouter.requests
    assert recorded.path == "/api/v1/chat/completions"
    assert recorded.body == {
        "model": SONNET,
        "messages": [
            {"role": "system", "content": "You generate NestJS microservices."},
            {"role": "user", "content": "hello"},
        ],
        "temperature": 0.2,
        "max_tokens": 16000,
        "stream": False,
        "usage": {"include": True},
    }
    assert recorded.headers["Authorization"] == f"Bearer {TEST_API_KEY}"
    assert recorded.headers["HTTP-Referer"] == "https://example.test/codegen"
    assert recorded.headers["X-Title"] == "codegen-tasks tests"


@pytest.mark.parametrize("stream", [False, True])
def test_the_model_that_actually_answered_is_recorded(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, stream: bool
) -> None:
    fake_openrouter.enqueue(Reply(content="routed answer", model="openai/gpt-4o"))
    req = request(model="openrouter/auto")
    if stream:
        completion = openrouter_client.complete_streaming(req, lambda _chunk: None)
    else:
        completion = openrouter_client.complete(req)

    assert completion.content == "routed answer"
    assert completion.model == "openai/gpt-4o"
    assert completion.provider == "OpenAI"
    assert completion.generation_id and completion.generation_id.startswith("gen-")
    assert fake_openrouter.chat_bodies[0]["stream"] is stream
    usage = completion.usage
    assert usage.cost_usd == pytest.approx(
        usage.prompt_tokens * 5e-6 + usage.completion_tokens * 15e-6
    )


def test_the_fake_streams_openrouter_sse(fake_openrouter: FakeOpenRouter) -> None:
    body = {"model": SONNET, "messages": [{"role": "user", "content": "hi"}], "stream": True}
    headers = {"Authorization": f"Bearer {TEST_API_KEY}"}
    url = fake_openrouter.base_url + "/chat/completions"
    response = requests.post(url, json=body, headers=headers, timeout=5)

    assert response.headers["Content-Type"] == "text/event-stream"
    blocks = response.text.strip().split("\n\n")
    assert blocks[0] == ": OPENROUTER PROCESSING"
    assert blocks[-1] == "data: [DONE]"
    chunks = [json.loads(block.removeprefix("data: ")) for block in blocks[1:-1]]
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["cost"] > 0
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert all(chunk["choices"][0]["finish_reason"] is None for chunk in chunks[:-2])


def test_processing_comments_while_waiting_are_ignored(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.latency_s = 0.6  # the fake sends a comment every 0.5 s meanwhile
    chunks: list[str] = []
    completion = openrouter_client.complete_streaming(request(), chunks.append)

    assert "".join(chunks) == completion.content and completion.complete


def test_chunks_arrive_while_the_model_is_still_writing(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.enqueue(Reply(content="x" * 400))
    fake_openrouter.tokens_per_s = 200.0  # 100 tokens: about half a second
    started, arrivals = time.monotonic(), []
    openrouter_client.complete_streaming(request(), lambda _c: arrivals.append(time.monotonic()))
    total = time.monotonic() - started

    assert total >= 0.4
    assert arrivals[0] - started < total / 2


class CannedAdapter(requests.adapters.BaseAdapter):
    """A transport answering every request with one fixed 200 body, noting the timeouts."""

    def __init__(self, content_type: str, body: str) -> None:
        super().__init__()
        self.content_type, self.body = content_type, body.encode()
        self.timeouts: list[Any] = []

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: None | float | tuple[float, float] | tuple[float, None] = None,
        verify: bool | str = True,
        cert: None | bytes | str | tuple[bytes | str, bytes | str] = None,
        proxies: Mapping[str, str] | None = None,
    ) -> requests.Response:
        self.timeouts.append(timeout)
        response = requests.Response()
        response.status_code, response.request, response.url = 200, request, request.url or ""
        response.headers["Content-Type"] = self.content_type
        response.raw = io.BytesIO(self.body)
        return response

    def close(self) -> None:
        pass


def canned_client(adapter: CannedAdapter) -> OpenRouterClient:
    session = requests.Session()
    session.mount("http://", adapter)
    return OpenRouterClient("http://llm.invalid/v1", "k", read_timeout=42, session=session)


def test_an_endpoint_that_ignores_stream_answers_in_one_chunk() -> None:
    body = {
        "model": SONNET,
        "choices": [{"message": {"content": "whole"}, "finish_reason": "stop"}],
    }
    adapter = CannedAdapter("application/json", json.dumps(body))
    chunks: list[str] = []
    completion = canned_client(adapter).complete_streaming(request(), chunks.append)

    assert chunks == ["whole"] and completion.complete
    assert adapter.timeouts == [(10, 42)]


def test_a_stream_that_ends_cleanly_without_done_is_retryable() -> None:
    chunk = {"model": SONNET, "choices": [{"delta": {"content": "part"}, "finish_reason": None}]}
    adapter = CannedAdapter("text/event-stream", f"data: {json.dumps(chunk)}\n\n")
    client = canned_client(adapter)
    chunks, error = collect(client, request())
    with pytest.raises(LLMError):
        client.list_models()

    assert chunks == ["part"]
    assert isinstance(error, LLMError) and error.retryable
    assert "stream ended early" in str(error)
    assert adapter.timeouts == [(10, 42), (10, 42)]


# --- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_rate_limit_is_retryable_after_the_given_delay(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, stream: bool
) -> None:
    fake_openrouter.enqueue(HttpError(429, "Rate limit exceeded", retry_after=7))
    error = failure(openrouter_client, request(), stream=stream)

    assert (error.status, error.retryable, error.retry_after) == (429, True, 7.0)
    assert "Rate limit exceeded" in str(error)
    assert error.model == SONNET


def test_retry_after_as_an_http_date(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.enqueue(
        HttpError(503, "busy", retry_after=formatdate(time.time() + 30, usegmt=True))
    )
    error = failure(openrouter_client, request(), stream=False)

    assert error.retryable and error.retry_after is not None
    assert 25 <= error.retry_after <= 31


@pytest.mark.parametrize("status", [408, 500, 502, 503])
def test_server_side_failures_are_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, status: int
) -> None:
    fake_openrouter.enqueue(HttpError(status, "Provider returned error"))
    error = failure(openrouter_client, request(), stream=False)

    assert (error.status, error.retryable, error.retry_after) == (status, True, None)
    assert "Provider returned error" in str(error)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
@pytest.mark.parametrize("stream", [False, True])
def test_client_side_failures_are_not_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, status: int, stream: bool
) -> None:
    fake_openrouter.enqueue(HttpError(status, f"refused with {status}"))
    error = failure(openrouter_client, request(), stream=stream)

    assert (error.status, error.retryable) == (status, False)
    assert f"refused with {status}" in str(error)


def test_a_wrong_key_is_refused_by_the_fake(fake_openrouter: FakeOpenRouter) -> None:
    with OpenRouterClient(fake_openrouter.base_url, "sk-or-wrong") as client:
        error = failure(client, request(), stream=False)

    assert (error.status, error.retryable) == (401, False)
    assert "User not found." in str(error)


@pytest.mark.parametrize(("code", "retryable"), [(502, True), (429, True), (400, False)])
def test_an_error_body_with_status_200(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, code: int, retryable: bool
) -> None:
    fake_openrouter.enqueue(ErrorBody200(code, "upstream said no"))
    error = failure(openrouter_client, request(), stream=False)

    assert (error.status, error.retryable) == (code, retryable)
    assert "upstream said no" in str(error)


@pytest.mark.parametrize(
    ("code", "status", "retryable"),
    [(502, 502, True), ("server_error", None, True), (404, 404, True), (402, 402, False)],
)
def test_an_error_in_the_middle_of_the_stream(
    fake_openrouter: FakeOpenRouter,
    openrouter_client: OpenRouterClient,
    code: int | str,
    status: int | None,
    retryable: bool,
) -> None:
    whole, _ = collect(openrouter_client, request())  # the answer as a whole
    fake_openrouter.enqueue(MidStreamError(2, code, "Provider disconnected"))
    chunks, error = collect(openrouter_client, request())

    assert chunks == whole[:2]
    assert isinstance(error, LLMError)
    assert (error.status, error.retryable) == (status, retryable)
    assert "Provider disconnected" in str(error)


def test_a_cut_stream_is_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    whole, _ = collect(openrouter_client, request())  # the answer as a whole
    fake_openrouter.enqueue(StreamCut(after_chunks=3))
    chunks, error = collect(openrouter_client, request())

    assert chunks == whole[:3]
    assert isinstance(error, LLMError)
    assert (error.status, error.retryable) == (None, True)
    assert "stream ended early" in str(error)


def test_a_cut_json_body_is_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.enqueue(StreamCut())
    error = failure(openrouter_client, request(), stream=False)

    assert (error.status, error.retryable) == (None, True)


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_without_choices_is_a_retryable_no_content_error(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, stream: bool
) -> None:
    fake_openrouter.enqueue(EmptyChoices())
    error = failure(openrouter_client, request(), stream=stream)

    assert error.retryable
    assert "No content in OpenRouter response" in str(error)


@pytest.mark.parametrize("stream", [False, True])
def test_a_truncated_answer_is_returned_as_incomplete(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, stream: bool
) -> None:
    fake_openrouter.enqueue(Truncated())
    req = request("long")
    if stream:
        completion = openrouter_client.complete_streaming(req, lambda _chunk: None)
    else:
        completion = openrouter_client.complete(req)

    assert completion.finish_reason == "length"
    assert not completion.complete
    full = fake_openrouter.responder(fake_openrouter.chat_bodies[0])
    assert full.startswith(completion.content) and len(completion.content) < len(full)


@pytest.mark.parametrize("stream", [False, True])
def test_a_hanging_provider_times_out_retryably(
    fake_openrouter: FakeOpenRouter, stream: bool
) -> None:
    fake_openrouter.enqueue(Hang(5))
    started = time.monotonic()
    with OpenRouterClient(fake_openrouter.base_url, TEST_API_KEY, read_timeout=0.3) as client:
        error = failure(client, request(), stream=stream)

    assert time.monotonic() - started < 2
    assert (error.status, error.retryable) == (None, True)


def test_an_unreachable_server_is_retryable(fake_openrouter: FakeOpenRouter) -> None:
    base_url = fake_openrouter.base_url
    fake_openrouter.stop()
    with OpenRouterClient(base_url, TEST_API_KEY, connect_timeout=1) as client:
        error = failure(client, request(), stream=False)

    assert (error.status, error.retryable) == (None, True)


def test_many_concurrent_completions(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.latency_s = 0.2
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        contents = list(
            pool.map(lambda i: openrouter_client.complete(request(f"p{i}")).content, range(32))
        )

    assert len(contents) == 32 and fake_openrouter.calls == 32
    assert time.monotonic() - started < 2  # served in parallel, not one after another


# --- connection test, settings, logs and the key -------------------------------------------


def test_connection_test_reports_failures_without_raising(fake_openrouter: FakeOpenRouter) -> None:
    base_url = fake_openrouter.base_url
    with OpenRouterClient(base_url, "sk-or-wrong") as client:
        refused = client.test_connection(SONNET)
    fake_openrouter.stop()
    with OpenRouterClient(base_url, "sk-or-wrong", connect_timeout=1) as client:
        unreachable = client.test_connection(SONNET)

    assert not refused.ok and "401" in refused.detail and "User not found." in refused.detail
    assert not unreachable.ok and unreachable.detail
    assert fake_openrouter.chat_bodies[0]["max_tokens"] == 5


def test_from_settings(fake_openrouter: FakeOpenRouter) -> None:
    with pytest.raises(LLMConfigError, match="OPENROUTER_API_KEY is not configured"):
        OpenRouterClient.from_settings(Settings(OPENROUTER_API_KEY=None, _env_file=None))
    settings = Settings(
        OPENROUTER_API_KEY=TEST_API_KEY,
        OPENROUTER_BASE_URL=fake_openrouter.base_url,
        _env_file=None,
    )
    with OpenRouterClient.from_settings(settings) as client:
        assert client.complete(request()).complete

    headers = fake_openrouter.requests[0].headers
    assert headers["X-Title"] == settings.openrouter_app_title
    assert headers["HTTP-Referer"] == settings.openrouter_app_url


def test_log_lines(
    fake_openrouter: FakeOpenRouter,
    openrouter_client: OpenRouterClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="codegen_tasks.llm")
    completion = openrouter_client.complete(request())

    assert f"Sending completion request to model: {SONNET}" in caplog.messages
    assert f"Received completion response ({len(completion.content)} characters)" in caplog.messages


def test_the_key_never_reaches_errors_or_logs(
    fake_openrouter: FakeOpenRouter,
    openrouter_client: OpenRouterClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    echo = f"Incorrect API key provided: {TEST_API_KEY}"
    fake_openrouter.enqueue(
        HttpError(401, echo),
        ErrorBody200(401, echo),
        MidStreamError(1, 403, echo),
        HttpError(429, echo),
    )
    errors: list[Any] = [
        failure(openrouter_client, request(), stream=False),
        failure(openrouter_client, request(), stream=False),
        failure(openrouter_client, request(), stream=True),
    ]
    report = openrouter_client.test_connection(SONNET)

    assert not report.ok and "Incorrect API key provided" in report.detail
    for error in errors:
        assert "Incorrect API key provided" in str(error)
        assert TEST_API_KEY not in str(error)
        assert TEST_API_KEY not in json.dumps(error.data) + json.dumps(error.to_dict())
    assert TEST_API_KEY not in report.model_dump_json()
    assert caplog.records and all(
        TEST_API_KEY not in record.getMessage() for record in caplog.records
    )
