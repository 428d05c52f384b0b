"""OpenRouterClient failures against the fake OpenRouter: retryable or not, and key-free."""

from __future__ import annotations

import json
import logging
import time
from email.utils import formatdate

import pytest

from codegen_tasks.adapters.llm.openrouter import OpenRouterClient
from codegen_tasks.errors import LLMError
from codegen_tasks.testing import (
    EmptyChoices,
    ErrorBody200,
    FakeOpenRouter,
    Hang,
    HttpError,
    MidStreamError,
    StreamCut,
)
from tests.fixtures.openrouter import (
    SONNET,
    TEST_API_KEY,
    chat_request,
    llm_failure,
    stream_chunks,
)

pytestmark = pytest.mark.integration


# --- failures ----------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [False, True])
def test_rate_limit_is_retryable_after_the_given_delay(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, stream: bool
) -> None:
    fake_openrouter.enqueue(HttpError(429, "Rate limit exceeded", retry_after=7))
    error = llm_failure(openrouter_client, chat_request(), stream=stream)

    assert (error.status, error.retryable, error.retry_after) == (429, True, 7.0)
    assert "Rate limit exceeded" in str(error)
    assert error.model == SONNET


def test_retry_after_as_an_http_date(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.enqueue(
        HttpError(503, "busy", retry_after=formatdate(time.time() + 30, usegmt=True))
    )
    error = llm_failure(openrouter_client, chat_request(), stream=False)

    assert error.retryable and error.retry_after is not None
    assert 25 <= error.retry_after <= 31


@pytest.mark.parametrize("status", [408, 500, 502, 503])
def test_server_side_failures_are_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, status: int
) -> None:
    fake_openrouter.enqueue(HttpError(status, "Provider returned error"))
    error = llm_failure(openrouter_client, chat_request(), stream=False)

    assert (error.status, error.retryable, error.retry_after) == (status, True, None)
    assert "Provider returned error" in str(error)


@pytest.mark.parametrize("status", [400, 401, 402, 403, 404])
@pytest.mark.parametrize("stream", [False, True])
def test_client_side_failures_are_not_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, status: int, stream: bool
) -> None:
    fake_openrouter.enqueue(HttpError(status, f"refused with {status}"))
    error = llm_failure(openrouter_client, chat_request(), stream=stream)

    assert (error.status, error.retryable) == (status, False)
    assert f"refused with {status}" in str(error)


def test_a_wrong_key_is_refused_by_the_fake(fake_openrouter: FakeOpenRouter) -> None:
    with OpenRouterClient(fake_openrouter.base_url, "sk-or-wrong") as client:
        error = llm_failure(client, chat_request(), stream=False)

    assert (error.status, error.retryable) == (401, False)
    assert "User not found." in str(error)


@pytest.mark.parametrize(("code", "retryable"), [(502, True), (429, True), (400, False)])
def test_an_error_body_with_status_200(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, code: int, retryable: bool
) -> None:
    fake_openrouter.enqueue(ErrorBody200(code, "upstream said no"))
    error = llm_failure(openrouter_client, chat_request(), stream=False)

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
    whole, _ = stream_chunks(openrouter_client, chat_request())  # the answer as a whole
    fake_openrouter.enqueue(MidStreamError(2, code, "Provider disconnected"))
    chunks, error = stream_chunks(openrouter_client, chat_request())

    assert chunks == whole[:2]
    assert isinstance(error, LLMError)
    assert (error.status, error.retryable) == (status, retryable)
    assert "Provider disconnected" in str(error)


def test_a_cut_stream_is_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    whole, _ = stream_chunks(openrouter_client, chat_request())  # the answer as a whole
    fake_openrouter.enqueue(StreamCut(after_chunks=3))
    chunks, error = stream_chunks(openrouter_client, chat_request())

    assert chunks == whole[:3]
    assert isinstance(error, LLMError)
    assert (error.status, error.retryable) == (None, True)
    assert "stream ended early" in str(error)


def test_a_cut_json_body_is_retryable(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient
) -> None:
    fake_openrouter.enqueue(StreamCut())
    error = llm_failure(openrouter_client, chat_request(), stream=False)

    assert (error.status, error.retryable) == (None, True)


@pytest.mark.parametrize("stream", [False, True])
def test_an_answer_without_choices_is_a_retryable_no_content_error(
    fake_openrouter: FakeOpenRouter, openrouter_client: OpenRouterClient, stream: bool
) -> None:
    fake_openrouter.enqueue(EmptyChoices())
    error = llm_failure(openrouter_client, chat_request(), stream=stream)

    assert error.retryable
    assert "No content in OpenRouter response" in str(error)


@pytest.mark.parametrize("stream", [False, True])
def test_a_hanging_provider_times_out_retryably(
    fake_openrouter: FakeOpenRouter, stream: bool
) -> None:
    fake_openrouter.enqueue(Hang(5))
    started = time.monotonic()
    with OpenRouterClient(fake_openrouter.base_url, TEST_API_KEY, read_timeout=0.3) as client:
        error = llm_failure(client, chat_request(), stream=stream)

    assert time.monotonic() - started < 2
    assert (error.status, error.retryable) == (None, True)


def test_an_unreachable_server_is_retryable(fake_openrouter: FakeOpenRouter) -> None:
    base_url = fake_openrouter.base_url
    fake_openrouter.stop()
    with OpenRouterClient(base_url, TEST_API_KEY, connect_timeout=1) as client:
        error = llm_failure(client, chat_request(), stream=False)

    assert (error.status, error.retryable) == (None, True)


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
    errors: list[LLMError] = [
        llm_failure(openrouter_client, chat_request(), stream=False),
        llm_failure(openrouter_client, chat_request(), stream=False),
        llm_failure(openrouter_client, chat_request(), stream=True),
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
