"""Building blocks shared by the templates: imports, handlers and behaviour parts."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable
from dataclasses import dataclass

Import = tuple[str, str]  # (module specifier, imported name)


def render_imports(imports: Iterable[Import]) -> str:
    """Grouped, sorted import lines: packages first, then relative modules."""
    by_module: dict[str, set[str]] = {}
    for module, name in imports:
        by_module.setdefault(module, set()).add(name)
    ordered = sorted(by_module, key=lambda m: (m.startswith("."), m))
    return "\n".join(_import_line(m, sorted(by_module[m])) for m in ordered)


def _import_line(module: str, names: list[str]) -> str:
    line = f"import {{ {', '.join(names)} }} from '{module}';"
    if len(line) <= MAX_LINE:
        return line
    return "import {\n" + "".join(f"  {n},\n" for n in names) + f"}} from '{module}';"


MAX_LINE = 100


def indent(text: str, spaces: int = 2) -> str:
    pad = " " * spaces
    return "\n".join(pad + line if line.strip() else "" for line in text.splitlines())


def join_blocks(blocks: Iterable[str]) -> str:
    """Non-empty blocks separated by one blank line, ending with a newline."""
    return "\n\n".join(b.strip("\n") for b in blocks if b.strip()) + "\n"


@dataclass(frozen=True)
class Handler:
    """One `<service>.<action>` message handler."""

    action: str
    method: str
    request: str  # DTO class name
    response: str  # the TypeScript type the handler's promise resolves to


@dataclass(frozen=True)
class Part:
    """What one behaviour (crud, auth, ...) contributes to the domain service."""

    dto_file: str  # file name under src/<name>/dto/
    dto_source: str
    handlers: tuple[Handler, ...]
    methods: tuple[str, ...]  # service methods, unindented
    service_imports: frozenset[Import] = frozenset()
    members: tuple[str, ...] = ()  # service fields, unindented
    helpers: tuple[str, ...] = ()  # module-level helper functions of the service file
    injections: tuple[tuple[str, str], ...] = ()  # private constructor params (member, class)
    providers: tuple[tuple[str, str], ...] = ()  # (class name, module path from the domain folder)

    def dto_exports(self) -> list[str]:
        """The names the controller and service import from this part's DTO file."""
        names = {h.request for h in self.handlers}
        names |= {t for h in self.handlers for t in _type_names(h.response)}
        return sorted(names)


def _type_names(ts_type: str) -> list[str]:
    """Capitalised identifiers in a type expression (the locally declared types)."""
    token = ""
    names: list[str] = []
    for ch in ts_type + " ":
        if ch.isalnum() or ch == "_":
            token += ch
            continue
        if token[:1].isupper() and token not in _GLOBAL_TYPES:
            names.append(token)
        token = ""
    return names


_GLOBAL_TYPES = frozenset({"Record", "Promise", "Array", "Partial", "Readonly", "Date"})


HEALTH_TYPE = "{ status: 'ok'; service: string }"


def doc_comment(lines: Iterable[str]) -> str:
    """A `/** ... */` block from already comment-safe lines."""
    body = [f" * {line}".rstrip() for line in lines]
    return "\n".join(["/**", *body, " */"])


def fill(template: str, **values: str) -> str:
    """Replace `<<key>>` placeholders in one pass; a placeholder without a value raises."""

    def value(match: re.Match[str]) -> str:
        return values[match.group(1)]

    return _PLACEHOLDER_RE.sub(value, template)


_PLACEHOLDER_RE = re.compile(r"<<([a-z_]+)>>")


def module_ref(from_dir: str, target: str) -> str:
    """The relative import specifier of bundle file `target` from bundle folder `from_dir`."""
    rel = posixpath.relpath(target.removesuffix(".ts"), from_dir)
    return rel if rel.startswith("../") else f"./{rel}"


RPC_EXCEPTION: Import = ("@nestjs/microservices", "RpcException")

RPC_ERROR_HELPER = """function rpcError(status: number, message: string): RpcException {
  return new RpcException({ status, message });
}"""

EXPECT_FIELD_HELPER = """function expectField(
  value: unknown,
  field: string,
  type: 'string' | 'number' | 'boolean' | 'object' | null,
  optional: boolean,
): void {
  if (value === undefined || value === null) {
    if (optional) {
      return;
    }
    throw rpcError(400, `${field} is required`);
  }
  if (type !== null && typeof value !== type) {
    throw rpcError(400, `${field} must be of type ${type}`);
  }
}"""


def expect_type(ts_type: str) -> str:
    """The `typeof` check for a property type (`null` when none applies)."""
    if ts_type in ("string", "number", "boolean"):
        return f"'{ts_type}'"
    if ts_type.startswith(("Record<", "Array<")) or ts_type.endswith("[]"):
        return "'object'"
    if ts_type.startswith("'"):
        return "'string'"
    return "null"
