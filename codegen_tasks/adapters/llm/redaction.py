"""Redacting a secret from text: the whole secret and any echo of part of it."""

from __future__ import annotations

REDACTED = "[redacted]"
# A run of this many characters of the secret (or more) counts as an echo of it.
MIN_ECHO_CHARS = 8


def redact(text: str, secret: str, *, min_echo: int = MIN_ECHO_CHARS) -> str:
    """`text` with every run of at least `min_echo` characters of `secret` replaced (a secret
    shorter than that only when it appears whole)."""
    if not secret:
        return text
    window = min(min_echo, len(secret))
    grams = {secret[i : i + window] for i in range(len(secret) - window + 1)}
    parts: list[str] = []
    start = i = 0
    while i <= len(text) - window:
        if text[i : i + window] not in grams:
            i += 1
            continue
        end = i + window
        while end < len(text) and text[i : end + 1] in secret:
            end += 1
        parts.append(text[start:i])
        parts.append(REDACTED)
        start = i = end
    parts.append(text[start:])
    return "".join(parts)
