"""Redaction of the API key: whole, and any partial echo of 8 characters or more."""

from __future__ import annotations

from codegen_tasks.adapters.llm.redaction import REDACTED, redact

KEY = "sk-or-v1-0123456789abcdef0123456789abcdef0123456789abcdef"


def test_whole_key_is_redacted() -> None:
    assert redact(f"bad key {KEY}!", KEY) == f"bad key {REDACTED}!"


def test_partial_echoes_of_eight_characters_or_more_are_redacted() -> None:
    text = f"prefix {KEY[:44]} middle {KEY[20:28]} tail {KEY[-9:]}"
    shown = redact(text, KEY)
    assert shown == f"prefix {REDACTED} middle {REDACTED} tail {REDACTED}"
    for size in range(8, len(KEY) + 1):
        for start in range(0, len(KEY) - size + 1, 7):
            assert KEY[start : start + size] not in redact(f"x{KEY[start : start + size]}y", KEY)


def test_short_fragments_and_other_text_are_kept() -> None:
    assert redact("sk-or-v and 0123456 stay", KEY) == "sk-or-v and 0123456 stay"
    assert redact("nothing here", "") == "nothing here"
    assert redact("short abc key", "abc") == f"short {REDACTED} key"
