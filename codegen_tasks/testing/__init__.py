"""Test doubles shipped with the package: a fake OpenRouter server speaking real HTTP."""

from codegen_tasks.testing.fake_openrouter import FakeOpenRouter
from codegen_tasks.testing.openrouter_protocol import (
    MODEL_CATALOG,
    Behaviour,
    EmptyChoices,
    ErrorBody200,
    Hang,
    HttpError,
    MidStreamError,
    RecordedRequest,
    Reply,
    StreamCut,
    Truncated,
    default_responder,
)

__all__ = [
    "MODEL_CATALOG",
    "Behaviour",
    "EmptyChoices",
    "ErrorBody200",
    "FakeOpenRouter",
    "Hang",
    "HttpError",
    "MidStreamError",
    "RecordedRequest",
    "Reply",
    "StreamCut",
    "Truncated",
    "default_responder",
]
