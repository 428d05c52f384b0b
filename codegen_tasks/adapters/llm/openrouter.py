"""OpenRouterClient: the LLMClient over OpenRouter's HTTP API (JSON and SSE completions)."""

from __future__ import annotations

import logging
import time
from functools import partial
from typing import Any

import requests
import sseclient
from requests.adapters import HTTPAdapter

from codegen_tasks.adapters.llm.openrouter_wire import (
    StreamState,
    completion_from_json,
    http_error_detail,
    model_info_from_json,
    parse_retry_after,
    retryable_status,
)
from codegen_tasks.adapters.llm.redaction import redact
from codegen_tasks.errors import LLMConfigError, LLMError
from codegen_tasks.ports.llm import (
    ChatMessage,
    Completion,
    CompletionRequest,
    ConnectionReport,
    ModelInfo,
    OnChunk,
)
from codegen_tasks.settings import Settings

logger = logging.getLogger("codegen_tasks.adapters.llm")

NETWORK_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
)


class OpenRouterClient:
    """Chat completions, model listing and a connection probe against OpenRouter."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        connect_timeout: float = 10,
        read_timeout: float = 300,
        app_url: str | None = None,
        app_title: str | None = None,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._api_key = api_key
        self._timeout = (connect_timeout, read_timeout)
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        if app_url:
            self._headers["HTTP-Referer"] = app_url
        if app_title:
            self._headers["X-Title"] = app_title
        self._owns_session = session is None
        self._session = session or self._new_session()

    @classmethod
    def from_settings(cls, settings: Settings, *, key_required: bool = True) -> OpenRouterClient:
        """The configured client; `key_required=False` for public endpoints (the model list)
        when no key is set."""
        key = settings.openrouter_api_key
        if key_required and (not settings.has_llm_key or key is None):
            raise LLMConfigError.missing_key()
        return cls(
            settings.openrouter_base_url,
            key.get_secret_value() if key is not None else "",
            connect_timeout=settings.openrouter_connect_timeout_s,
            read_timeout=settings.openrouter_timeout_s,
            app_url=settings.openrouter_app_url,
            app_title=settings.openrouter_app_title,
        )

    def __enter__(self) -> OpenRouterClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def complete(self, request: CompletionRequest) -> Completion:
        started = self._log_sending(request)
        body = self._json_body(self._post(request, stream=False), request.model)
        fail = partial(self._error, model=request.model)
        completion = completion_from_json(body, request.model, _elapsed_ms(started), fail)
        return self._log_received(completion)

    def complete_streaming(self, request: CompletionRequest, on_chunk: OnChunk) -> Completion:
        started = self._log_sending(request)
        fail = partial(self._error, model=request.model)
        with self._post(request, stream=True) as response:
            if response.headers.get("Content-Type", "").startswith("application/json"):
                # an OpenAI-compatible endpoint that does not stream: one chunk
                body = self._json_body(response, request.model)
                completion = completion_from_json(body, request.model, _elapsed_ms(started), fail)
                on_chunk(completion.content)
                return self._log_received(completion)
            state = StreamState(request.model, on_chunk, fail)
            try:
                for event in sseclient.SSEClient(iter(response)).events():
                    if state.feed(event.data):
                        break
            except NETWORK_ERRORS as exc:
                message = f"OpenRouter stream ended early: {exc}"
                raise self._error(message, request.model, billed=bool(state.parts)) from exc
        return self._log_received(state.completion(_elapsed_ms(started)))

    def list_models(self) -> list[ModelInfo]:
        response = self._send("GET", "/models", model=None)
        try:
            entries = response.json()["data"]
            return [model_info_from_json(entry) for entry in entries]
        except (ValueError, LookupError, TypeError, AttributeError) as exc:
            raise self._error("Invalid model list from OpenRouter", None, retryable=False) from exc

    def test_connection(self, model: str) -> ConnectionReport:
        probe = CompletionRequest(
            model=model,
            messages=[ChatMessage(role="user", content="Reply with the single word OK.")],
            temperature=0.0,
            max_tokens=5,
        )
        started = time.monotonic()
        report = ConnectionReport(ok=False, base_url=self.base_url, model=model)
        try:
            completion = self.complete(probe)
        except Exception as exc:  # a probe reports, it never raises
            report.detail = self._redact(str(exc))
        else:
            report.ok = True
            report.detail = f"{completion.model} answered {completion.content.strip()[:40]!r}"
        report.latency_ms = _elapsed_ms(started)
        return report

    @staticmethod
    def _new_session() -> requests.Session:
        session = requests.Session()
        adapter = HTTPAdapter(pool_connections=4, pool_maxsize=64)  # many concurrent workers
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def _post(self, request: CompletionRequest, *, stream: bool) -> requests.Response:
        payload = {
            "model": request.model,
            "messages": [message.model_dump() for message in request.messages],
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
            "stream": stream,
            "usage": {"include": True},
        }
        if request.max_price is not None:
            cap = request.max_price
            payload["provider"] = {
                "max_price": {
                    "prompt": cap.prompt_usd_per_mtok,
                    "completion": cap.completion_usd_per_mtok,
                }
            }
        return self._send("POST", "/chat/completions", request.model, json=payload, stream=stream)

    def _send(self, method: str, path: str, model: str | None, **kwargs: Any) -> requests.Response:
        """One HTTP exchange, always under both timeouts; failures become LLMError."""
        try:
            response = self._session.request(
                method, self.base_url + path, headers=self._headers, timeout=self._timeout, **kwargs
            )
        except NETWORK_ERRORS as exc:
            raise self._error(f"OpenRouter unreachable: {exc}", model) from exc
        except requests.RequestException as exc:
            raise self._error(f"OpenRouter request failed: {exc}", model, retryable=False) from exc
        if response.status_code >= 400:
            with response:
                raise self._error(
                    f"OpenRouter returned HTTP {response.status_code}: "
                    f"{http_error_detail(response)}",
                    model,
                    status=response.status_code,
                    retry_after=parse_retry_after(response.headers.get("Retry-After")),
                    retryable=retryable_status(response.status_code),
                )
        return response

    def _json_body(self, response: requests.Response, model: str) -> dict[str, Any]:
        try:
            body = response.json()
        except (ValueError, *NETWORK_ERRORS) as exc:
            raise self._error("Invalid JSON in OpenRouter response", model) from exc
        if not isinstance(body, dict):
            raise self._error("Invalid JSON in OpenRouter response", model)
        return body

    def _error(
        self, message: str, model: str | None, *, retryable: bool = True, **details: Any
    ) -> LLMError:
        """A key-free LLMError (retryable unless told otherwise), logged as it is raised."""
        error = LLMError(self._redact(message), model=model, retryable=retryable, **details)
        logger.warning("OpenRouter call failed (model %s): %s", model, error.message)
        return error

    def _redact(self, text: str) -> str:
        return redact(text, self._api_key)

    def _log_sending(self, request: CompletionRequest) -> float:
        logger.info("Sending completion request to model: %s", request.model)
        return time.monotonic()

    @staticmethod
    def _log_received(completion: Completion) -> Completion:
        logger.info("Received completion response (%d characters)", len(completion.content))
        return completion


def _elapsed_ms(started: float) -> float:
    return (time.monotonic() - started) * 1000
