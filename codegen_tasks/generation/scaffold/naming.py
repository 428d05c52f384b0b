"""Identifiers, literals and comments derived safely from graph names and free text."""

from __future__ import annotations

import re
import zlib

IDENTIFIER_RE = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")
_WORD_RE = re.compile(r"[A-Za-z0-9]+")
_CAMEL_SPLIT_RE = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
FIRST_PORT = 3001
PORT_SPAN = 2000


def _words(name: str) -> list[str]:
    words: list[str] = []
    for chunk in _WORD_RE.findall(name):
        words.extend(_CAMEL_SPLIT_RE.split(chunk))
    return [w for w in words if w] or ["x"]


def pascal(name: str) -> str:
    """`api-gateway` → `ApiGateway`; `findAll` → `FindAll`; a leading digit gets `N`."""
    text = "".join(w[:1].upper() + w[1:] for w in _words(name))
    return f"N{text}" if text[0].isdigit() else text


def camel(name: str) -> str:
    """`api-gateway` → `apiGateway`; `findAll` stays `findAll`."""
    text = pascal(name)
    return text[:1].lower() + text[1:]


def constant(name: str) -> str:
    """`api-gateway` → `API_GATEWAY` (env variables and injection tokens)."""
    text = "_".join(w.upper() for w in _words(name))
    return f"N{text}" if text[0].isdigit() else text


def database_url_env(database_name: str) -> str:
    """Env variable with a DATABASE dependency URL: `orders-db` → `ORDERS_DB_URL`."""
    return f"{constant(database_name)}_URL"


def kebab(name: str) -> str:
    """`findAll` → `find-all` (URL path segments, file names)."""
    return "-".join(w.lower() for w in _words(name))


def ts_string(value: str) -> str:
    """A single-quoted TypeScript string literal for any text (ASCII-only output)."""
    return "'" + "".join(_escape_char(ch) for ch in value) + "'"


def _escape_char(ch: str) -> str:
    if ch in ("\\", "'"):
        return "\\" + ch
    if " " <= ch <= "~":
        return ch
    return "".join(f"\\u{unit:04x}" for unit in _utf16_units(ch))


def _utf16_units(ch: str) -> list[int]:
    data = ch.encode("utf-16-be")
    return [int.from_bytes(data[i : i + 2], "big") for i in range(0, len(data), 2)]


def property_key(name: str) -> str:
    """A property name usable in a class or interface body."""
    return name if IDENTIFIER_RE.match(name) else ts_string(name)


def member_access(name: str) -> str:
    """`.name` or `['odd-name']` for reading a property."""
    return f".{name}" if IDENTIFIER_RE.match(name) else f"[{ts_string(name)}]"


def comment_text(text: str, limit: int = 600) -> str:
    """Free text made safe for `//` and `/* */` comments: one line, no comment terminators."""
    flat = " ".join(text.split())
    flat = flat.replace("*/", "* /").replace("/*", "/ *")
    flat = "".join(ch if ch.isprintable() else " " for ch in flat)
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def markdown_text(text: str, limit: int = 2000) -> str:
    """Free text for the README: one paragraph, no HTML."""
    flat = " ".join(text.split()).replace("<", "&lt;").replace(">", "&gt;")
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def default_port(name: str) -> int:
    """A stable default TCP port per service, so callers and callees agree out of the box."""
    return FIRST_PORT + zlib.crc32(name.encode("utf-8")) % PORT_SPAN


def unique_names(names: list[str], taken: frozenset[str] = frozenset()) -> list[str]:
    """Make identifiers unique (and distinct from `taken`) by suffixing 2, 3, ..."""
    used = set(taken)
    result: list[str] = []
    for name in names:
        candidate, n = name, 1
        while candidate in used:
            n += 1
            candidate = f"{name}{n}"
        used.add(candidate)
        result.append(candidate)
    return result
