"""FakeOpenRouter: a real HTTP server on 127.0.0.1 that speaks OpenRouter's protocol."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

from codegen_tasks.testing.openrouter_http import FakeOpenRouterServer
from codegen_tasks.testing.openrouter_protocol import (
    PREFIX,
    Behaviour,
    Body,
    RecordedRequest,
    Reply,
    default_responder,
)


class FakeOpenRouter:
    """OpenRouter's chat completions and model listing, scripted through `enqueue`.

    Behaviours queued with `enqueue` answer the next chat completions in order; after them
    every request gets a normal reply whose content comes from `responder(request_body)`.
    """

    def __init__(
        self,
        api_key: str | None = None,
        responder: Callable[[Body], str] | None = None,
        latency_s: float = 0.0,
        tokens_per_s: float | None = None,
        report_cost: bool = True,
        bill_max_tokens: bool = False,
    ) -> None:
        self.api_key = api_key
        self.responder = responder or default_responder
        self.latency_s = latency_s
        self.tokens_per_s = tokens_per_s
        self.report_cost = report_cost  # False: usage without `cost`, priced from /models
        # True: every answer bills the request's whole `max_tokens` (a budget's worst case)
        self.bill_max_tokens = bill_max_tokens
        self._lock = threading.Lock()
        self._queue: deque[Behaviour] = deque()
        self._requests: list[RecordedRequest] = []
        self._calls = 0
        self._stopping = threading.Event()
        self._server: FakeOpenRouterServer | None = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> FakeOpenRouter:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> FakeOpenRouter:
        if self._server is None:
            self._stopping.clear()
            self._server = FakeOpenRouterServer(self)
            self._thread = threading.Thread(
                target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
            )
            self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()  # wakes hanging and pacing handlers
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("FakeOpenRouter is not started")
        return f"http://127.0.0.1:{self._server.server_address[1]}{PREFIX}"

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def chat_bodies(self) -> list[Body]:
        """The JSON bodies of the chat-completion requests received, in order."""
        return [r.body or {} for r in self.requests if r.path == PREFIX + "/chat/completions"]

    @property
    def calls(self) -> int:
        """How many chat-completion requests arrived, refused ones included."""
        with self._lock:
            return self._calls

    def enqueue(self, *behaviours: Behaviour) -> None:
        with self._lock:
            self._queue.extend(behaviours)

    def record(self, request: RecordedRequest, *, chat: bool) -> None:
        with self._lock:
            self._requests.append(request)
            if chat:
                self._calls += 1

    def next_behaviour(self) -> Behaviour:
        with self._lock:
            return self._queue.popleft() if self._queue else Reply()

    def pause(self, seconds: float) -> None:
        """Sleep, cut short when the server stops."""
        if seconds > 0:
            self._stopping.wait(seconds)
