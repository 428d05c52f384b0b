"""What may name a file, an object key or an id: the one home of the rules that keep names
inside their place (a bundle, a store's prefix, a folder). Pure; each caller raises its own
error with the reason given here (UnsafePathError, StorageError, a payload's field problem).
"""

from __future__ import annotations

import posixpath
import re
import unicodedata

MAX_ID_LENGTH = 128
# ids become storage keys and folder names: no '/', '\\', '..', spaces or shell syntax
SAFE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")  # MAX_ID_LENGTH
SAFE_ID_RULE = f"1..{MAX_ID_LENGTH} ASCII letters, digits, '.', '_', ':' or '-'"
MAX_PATH_LENGTH = 200
MAX_PATH_DEPTH = 12
INVISIBLE = frozenset({"Cc", "Cf", "Zl", "Zp"})  # controls, bidi overrides, zero-widths
CONTROL_CHARACTER = re.compile(r"[\x00-\x1f]")


def id_problem(value: str) -> str | None:
    """Why `value` is not a safe id (project, node, run, batch), or None."""
    return None if SAFE_ID_RE.fullmatch(value) else f"must be {SAFE_ID_RULE}"


def _characters_problem(name: str) -> str | None:
    if "\x00" in name:
        return "contains a NUL byte"
    if "\\" in name:
        return "contains a backslash"
    if CONTROL_CHARACTER.search(name):
        return "contains a control character"
    # in ASCII only DEL is left of the INVISIBLE categories: the look-up per character is
    # for the rest of Unicode
    if (not name.isascii() or "\x7f" in name) and any(
        unicodedata.category(ch) in INVISIBLE for ch in name
    ):
        return "contains an invisible or bidirectional control character"
    return None


def relative_problem(name: str, *, dot_segments: bool = False) -> str | None:
    """Why `name` is not a relative POSIX name that stays below its root, or None: the rule
    bundle paths, object keys and listing prefixes share. `dot_segments`: inner `.`
    segments are allowed (a file path is normalised; an object key may not have them)."""
    problem = _characters_problem(name)
    if problem is not None:
        return problem
    if name.startswith("/"):
        return "is absolute"
    parts = name.split("/")
    inner = ("", "..") if dot_segments else ("", ".", "..")
    if any(part in inner for part in parts[:-1]) or parts[-1] in (".", ".."):
        return (
            "has an empty or '..' segment" if dot_segments else "has an empty, '.' or '..' segment"
        )
    return None


def path_problem(path: str) -> str | None:
    """Why `path` may not name a file of a bundle, or None: a relative name (above) with a
    file name at its end, no drive letter, at most MAX_PATH_LENGTH characters and
    MAX_PATH_DEPTH folders."""
    if not path or not path.strip():
        return "empty path"
    if len(path) > MAX_PATH_LENGTH:
        return f"longer than {MAX_PATH_LENGTH} characters"
    if len(path) > 1 and path[1] == ":":
        return "is absolute"
    problem = relative_problem(path, dot_segments=True)
    if problem is not None:
        return problem
    if path.endswith("/"):
        return "has an empty or '..' segment"
    if posixpath.normpath(path).count("/") >= MAX_PATH_DEPTH:
        return f"nests deeper than {MAX_PATH_DEPTH} folders"
    return None


def key_problem(key: str, *, prefix: bool = False) -> str | None:
    """Why `key` may not name an object (`prefix`: a listing prefix, which may be empty or
    end with '/'), or None."""
    if not key and not prefix:
        return "empty key"
    problem = relative_problem(key)
    if problem is None and key.endswith("/") and not prefix:
        return "ends with '/'"
    return problem
