"""The HTTP side of FakeOpenRouter: a threading server and OpenRouter's request handling."""

from __future__ import annotations

import json
import socket
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

from codegen_tasks.adapters.llm.memory import estimate_tokens
from codegen_tasks.testing.openrouter_protocol import (
    PREFIX,
    Behaviour,
    Body,
    EmptyChoices,
    ErrorBody200,
    Generation,
    Hang,
    HttpError,
    MidStreamError,
    RecordedRequest,
    StreamCut,
    above_price_cap,
    error_json,
    generation_for,
    models_payload,
    pieces_before_end,
)

if TYPE_CHECKING:
    from codegen_tasks.testing.fake_openrouter import FakeOpenRouter


class FakeOpenRouterServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    request_queue_size = 256

    def __init__(self, fake: FakeOpenRouter) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), OpenRouterHandler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):  # clients hanging up are expected
            super().handle_error(request, client_address)


class OpenRouterHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    timeout = 60  # idle keep-alive connections
    server: FakeOpenRouterServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self.server.fake.record(self._recorded(None), chat=False)
        if self.path.split("?")[0] == PREFIX + "/models":
            self._send_json(200, models_payload())
        else:
            self._send_json(404, error_json(404, "Not Found"))

    def do_POST(self) -> None:
        fake, body = self.server.fake, self._read_json()
        chat = self.path == PREFIX + "/chat/completions"
        fake.record(self._recorded(body), chat=chat)
        if not chat:
            self._send_json(404, error_json(404, "Not Found"))
        elif problem := self._auth_problem():
            self._send_json(401, error_json(401, problem))
        elif body is None or not body.get("model") or not body.get("messages"):
            self._send_json(400, error_json(400, "Input required: specify model and messages"))
        elif above_price_cap(body):
            message = "No allowed providers are available for the selected model."
            self._send_json(404, error_json(404, message))
        else:
            self._answer(body, fake.next_behaviour())

    def _recorded(self, body: Body | None) -> RecordedRequest:
        return RecordedRequest(self.command, self.path, dict(self.headers.items()), body)

    def _read_json(self) -> Body | None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body = json.loads(raw)
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    def _auth_problem(self) -> str | None:
        key, header = self.server.fake.api_key, self.headers.get("Authorization")
        if key is None or header == f"Bearer {key}":
            return None
        return "No auth credentials found" if not header else "User not found."

    def _answer(self, body: Body, behaviour: Behaviour) -> None:
        fake, stream = self.server.fake, bool(body.get("stream"))
        answer = (fake.responder, fake.report_cost, fake.bill_max_tokens)
        if isinstance(behaviour, Hang):
            fake.pause(behaviour.seconds)
        if not stream or isinstance(behaviour, HttpError):
            fake.pause(fake.latency_s)
        if isinstance(behaviour, HttpError):
            extra = {} if behaviour.retry_after is None else {"Retry-After": behaviour.retry_after}
            self._send_json(
                behaviour.status, error_json(behaviour.status, behaviour.message), extra
            )
        elif stream:
            self._stream(generation_for(body, behaviour, *answer), behaviour)
        else:
            self._respond(generation_for(body, behaviour, *answer), behaviour)

    def _respond(self, gen: Generation, behaviour: Behaviour) -> None:
        if isinstance(behaviour, ErrorBody200 | MidStreamError):
            self._send_json(200, error_json(behaviour.code, behaviour.message))
        elif isinstance(behaviour, StreamCut):
            data = json.dumps(gen.completion()).encode()
            self._send_head(200, "application/json", {"Content-Length": len(data)})
            self.wfile.write(data[: len(data) // 2])
            self._cut()
        else:
            self._send_json(
                200, gen.completion(with_choices=not isinstance(behaviour, EmptyChoices))
            )

    def _stream(self, gen: Generation, behaviour: Behaviour) -> None:
        self._send_head(200, "text/event-stream", {"Transfer-Encoding": "chunked"})
        self._processing(self.server.fake.latency_s)
        for piece in pieces_before_end(gen, behaviour):
            self._event(gen.chunk(piece))
            self._pace(piece)
        if isinstance(behaviour, StreamCut):
            self._cut()
            return
        if isinstance(behaviour, ErrorBody200 | MidStreamError):
            self._event(gen.error_chunk(behaviour.code, behaviour.message))
        else:
            if not isinstance(behaviour, EmptyChoices):
                self._event(gen.chunk("", gen.finish_reason))
            self._event(gen.usage_chunk())
            self._write_chunk(b"data: [DONE]\n\n")
        self._write_chunk(b"")  # the last chunk of the chunked body

    def _processing(self, seconds: float) -> None:
        """OpenRouter's keep-alive comments while the model thinks, at least one."""
        deadline = time.monotonic() + seconds
        self._write_chunk(b": OPENROUTER PROCESSING\n\n")
        while (remaining := deadline - time.monotonic()) > 0:
            self.server.fake.pause(min(remaining, 0.5))
            self._write_chunk(b": OPENROUTER PROCESSING\n\n")

    def _pace(self, piece: str) -> None:
        tokens_per_s = self.server.fake.tokens_per_s
        if tokens_per_s:
            self.server.fake.pause(estimate_tokens(piece) / tokens_per_s)

    def _event(self, payload: Body) -> None:
        self._write_chunk(b"data: " + json.dumps(payload).encode() + b"\n\n")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%b\r\n" % (len(data), data))

    def _cut(self) -> None:
        """Drop the connection in the middle of the body."""
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    def _send_head(self, status: int, content_type: str, headers: dict[str, Any]) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for name, value in headers.items():
            self.send_header(name, str(value))
        self.end_headers()

    def _send_json(self, status: int, payload: Body, headers: dict[str, Any] | None = None) -> None:
        data = json.dumps(payload).encode()
        self._send_head(
            status, "application/json", {"Content-Length": len(data), **(headers or {})}
        )
        self.wfile.write(data)
