"""JSON with comments and trailing commas: the dialect tsconfig.json and nest-cli.json use."""

from __future__ import annotations

import json
import re

# One left-to-right scan: string and template literals (kept, unterminated ones run to the
# end) and comments (blanked); whichever starts first wins, as in the language.
_LITERAL_OR_COMMENT_RE = re.compile(
    r"""'(?:[^'\\]|\\.|\\\Z)*(?:'|\Z)"""
    r"""|"(?:[^"\\]|\\.|\\\Z)*(?:"|\Z)"""
    r"""|`(?:[^`\\]|\\.|\\\Z)*(?:`|\Z)"""
    r"|(?P<comment>//[^\n]*|/\*.*?(?:\*/|\Z))",
    re.DOTALL,
)
_NOT_NEWLINE_RE = re.compile(r"[^\n]")


def _blank_comment(match: re.Match[str]) -> str:
    if match["comment"] is None:
        return match[0]
    return _NOT_NEWLINE_RE.sub(" ", match[0])


def strip_comments(source: str) -> str:
    """Blank out // and /* */ comments (newlines kept, so line numbers still match)."""
    return _LITERAL_OR_COMMENT_RE.sub(_blank_comment, source)


def parse_jsonc(text: str) -> object:
    """JSON with comments and trailing commas (as tsc reads it); ValueError when invalid."""
    stripped = strip_comments(text)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", stripped))


def key_line(text: str, key: str) -> int:
    """The 1-based line where `"key":` first appears (1 when it does not)."""
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return text.count("\n", 0, match.start()) + 1 if match else 1
