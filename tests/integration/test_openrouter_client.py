"""OpenRouterClient against the fake OpenRouter over HTTP; ScriptedLLM where behaviour is shared."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.adapters.llm.openrouter import OpenRouterClient
from codegen_tasks.errors import LLMConfigError, LLMError
from codegen_tasks.ports.llm import LLMClient, ModelInfo
from codegen_tasks.settings import Settings
from codegen_tasks.testing import (
    MODEL_CATALOG,
    FakeOpenRouter,
    Reply,
    Truncated,
)
from tests.fixtures.openrouter import (
    SONNET,
    TEST_API_KEY,
    chat_request,
    stream_chunks,
)

pytestmark = pytest.mark.integration

CATALOG = [
    ModelInfo(id=key, name=name, prompt_usd_per_mtok=p_in, completion_usd_per_mtok=p_out)
    for key, (name, p_in, p_out, _context) in MODEL_CATALOG.items()
]


def bundle_for(prompt: str) -> str:
    """What the model answers in these tests: a small file bundle naming the prompt."""
    code = f"// {prompt}\nexport class OrdersService {{\n  findAll() {{ return []; }}\n}}\n"
    return json.dumps({"files": [{"path": "src/orders/orders.service.ts", "content": code}]})


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
    completion = llm.complete(chat_request("orders please"))

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
    completion = llm.complete_streaming(chat_request("stream it"), chunks.append)

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
    openrouter_client.complete(chat_request("hello"))

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
    req = chat_request(model="openrouter/auto")
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
    completion = openrouter_client.complete_streaming(chat_request(), chunks.append)

    assert "".join(chunks) == completion.content and completion.complete


def test_chunks_arrive_while_the_model_is_still_writing(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.enqueue(Reply(content="x" * 400))
    fake_openrouter.tokens_per_s = 200.0  # 100 tokens: about half a second
    started, arrivals = time.monotonic(), []
    openrouter_client.complete_streaming(
        chat_request(), lambda _c: arrivals.append(time.monotonic())
    )
    total = time.monotonic() - started

    assert total >= 0.4
    assert arrivals[0] - started < total / 2


@pytest.mark.parametrize("stream", [False, True])
def test_a_truncated_answer_is_returned_as_incomplete(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, stream: bool
) -> None:
    fake_openrouter.enqueue(Truncated())
    req = chat_request("long")
    if stream:
        completion = openrouter_client.complete_streaming(req, lambda _chunk: None)
    else:
        completion = openrouter_client.complete(req)

    assert completion.finish_reason == "length"
    assert not completion.complete
    full = fake_openrouter.responder(fake_openrouter.chat_bodies[0])
    assert full.startswith(completion.content) and len(completion.content) < len(full)


def test_many_concurrent_completions(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.latency_s = 0.2
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=16) as pool:
        contents = list(
            pool.map(lambda i: openrouter_client.complete(chat_request(f"p{i}")).content, range(32))
        )

    assert len(contents) == 32 and fake_openrouter.calls == 32
    assert time.monotonic() - started < 2  # served in parallel, not one after another


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
        timeout: float | tuple[float, float] | tuple[float, None] | None = None,
        verify: bool | str = True,
        cert: bytes | str | tuple[bytes | str, bytes | str] | None = None,
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


def test_every_request_carries_both_timeouts_and_a_non_streaming_endpoint_still_works() -> None:
    answer = {"model": SONNET, "choices": [{"message": {"content": "OK"}, "finish_reason": "stop"}]}
    adapter = CannedAdapter("application/json", json.dumps({**answer, "data": []}))
    client = canned_client(adapter)
    chunks: list[str] = []

    assert client.complete(chat_request()).content == "OK"
    assert client.complete_streaming(chat_request(), chunks.append).complete
    assert chunks == ["OK"]  # an endpoint that ignores `stream` answers in one chunk
    assert client.list_models() == []
    assert client.test_connection(SONNET).ok
    assert adapter.timeouts == [(10, 42)] * 4


def test_a_stream_that_ends_cleanly_without_done_is_retryable() -> None:
    chunk = {"model": SONNET, "choices": [{"delta": {"content": "part"}, "finish_reason": None}]}
    adapter = CannedAdapter("text/event-stream", f"data: {json.dumps(chunk)}\n\n")
    chunks, error = stream_chunks(canned_client(adapter), chat_request())

    assert chunks == ["part"]
    assert isinstance(error, LLMError) and error.retryable
    assert "stream ended early" in str(error)


# --- settings and logs -----------------------------------------------------------------


def test_from_settings(fake_openrouter: FakeOpenRouter) -> None:
    with pytest.raises(LLMConfigError, match="OPENROUTER_API_KEY is not set"):
        OpenRouterClient.from_settings(Settings(OPENROUTER_API_KEY=None, _env_file=None))
    settings = Settings(
        OPENROUTER_API_KEY=TEST_API_KEY,
        OPENROUTER_BASE_URL=fake_openrouter.base_url,
        _env_file=None,
    )
    with OpenRouterClient.from_settings(settings) as client:
        assert client.complete(chat_request()).complete

    headers = fake_openrouter.requests[0].headers
    assert headers["X-Title"] == settings.openrouter_app_title
    assert headers["HTTP-Referer"] == settings.openrouter_app_url


def test_log_lines(
    fake_openrouter: FakeOpenRouter,
    openrouter_client: OpenRouterClient,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="codegen_tasks.adapters.llm")
    completion = openrouter_client.complete(chat_request())

    assert f"Sending completion request to model: {SONNET}" in caplog.messages
    assert f"Received completion response ({len(completion.content)} characters)" in caplog.messages
