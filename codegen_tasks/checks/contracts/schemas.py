"""JSON Schemas of message payloads, from the discovered TypeScript types.

The types are named the way the typed check names them (`Parameters<C['m']>[i]`,
`Reply<ReturnType<C['m']>>`, see `sites`), in a generated module compiled with the bundles
against the platform's typings; `typescript-json-schema` (the type checker's own view of each
type, pinned in `tools/package.json`) turns each into a JSON Schema. Types it cannot express
come back as None.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from codegen_tasks.checks.children import run_in_group
from codegen_tasks.checks.contracts.sites import MethodRef
from codegen_tasks.checks.scratch import scratch_dir
from codegen_tasks.checks.static.extra import EXTRA_OPTIONS
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.domain.files import GeneratedFile, check_path
from codegen_tasks.errors import ToolchainError

TOOLS_PREFIX = "contract-tools"
TOOLS_READY = Path("node_modules/typescript-json-schema/package.json")
MODULE = "extra/payload-types.ts"
ASYNCAPI_SCHEMA = "node_modules/@asyncapi/specs/schemas/3.0.0.json"
DEFAULT_TIMEOUT_S = 120.0
_HEADER = """import type { Observable } from 'rxjs';

type Reply<T> = T extends Observable<infer U> ? U : Awaited<T>;
"""

Schema = dict[str, Any]


@dataclass(frozen=True)
class TypeRef:
    """A message type: the bundle and method declaring it; `payload` None for its reply."""

    bundle: str
    method: MethodRef
    payload: int | None


class PayloadSchemas(Protocol):
    def schemas(
        self, bundles: Mapping[str, list[GeneratedFile]], types: Mapping[str, TypeRef]
    ) -> dict[str, Schema | None]:
        """The JSON Schema of each named type (None when it has none)."""
        ...


@lru_cache(maxsize=1)
def tools_manifest() -> str:
    return (
        resources.files("codegen_tasks.checks.contracts")
        .joinpath("tools/package.json")
        .read_text(encoding="utf-8")
    )


def contract_tools(root: Path) -> Toolchain:
    """The pinned contract tools (installed once under the toolchain directory)."""
    return Toolchain(root, manifest=tools_manifest(), prefix=TOOLS_PREFIX, ready_file=TOOLS_READY)


def types_module(types: Mapping[str, TypeRef], folders: Mapping[str, str]) -> str:
    """`export type <name> = ...;` for each type, importing the classes declaring them."""
    aliases: dict[tuple[str, str, str], str] = {}
    imports: list[str] = []
    lines: list[str] = []
    for name, ref in types.items():
        key = (ref.bundle, ref.method.file, ref.method.cls)
        if key not in aliases:
            aliases[key] = f"C{len(aliases)}"
            module = f"../{folders[ref.bundle]}/{ref.method.file.removesuffix('.ts')}"
            imports.append(f"import type {{ {ref.method.cls} as {aliases[key]} }} from '{module}';")
        member = f"{aliases[key]}['{ref.method.method}']"
        if ref.payload is None:
            lines.append(f"export type {name} = Reply<ReturnType<{member}>>;")
        else:
            lines.append(f"export type {name} = Parameters<{member}>[{ref.payload}];")
    return _HEADER + "\n".join(imports) + "\n\n" + "\n".join(lines) + "\n"


class TypeScriptJsonSchemas:
    """The real adapter: node + typescript-json-schema over the bundles."""

    def __init__(
        self, toolchain: Toolchain, tools: Toolchain, *, timeout_s: float = DEFAULT_TIMEOUT_S
    ) -> None:
        self.toolchain = toolchain
        self.tools = tools
        self.timeout_s = timeout_s

    def schemas(
        self, bundles: Mapping[str, list[GeneratedFile]], types: Mapping[str, TypeRef]
    ) -> dict[str, Schema | None]:
        if not types:
            return {}
        self.toolchain.ensure()
        tools = self.tools.ensure()
        script = resources.files("codegen_tasks.checks.contracts").joinpath("tools/schemas.js")
        with scratch_dir("schemas", None) as work:
            folders = {key: f"b{i}" for i, key in enumerate(bundles)}
            for key, files in bundles.items():
                _write(work / folders[key], files)
            os.symlink(self.toolchain.node_modules, work / "node_modules", target_is_directory=True)
            (work / MODULE).parent.mkdir(parents=True, exist_ok=True)
            (work / MODULE).write_text(types_module(types, folders), encoding="utf-8")
            config = {"compilerOptions": EXTRA_OPTIONS, "files": [MODULE]}
            (work / "tsconfig.json").write_text(json.dumps(config), encoding="utf-8")
            command = [self.toolchain.node_executable(), str(script)]
            args = [str(tools / "node_modules"), str(work / "tsconfig.json"), *types]
            return _run(command + args, work, self.timeout_s)


def _write(folder: Path, files: list[GeneratedFile]) -> None:
    for file in files:
        path = check_path(file.path)
        if "node_modules" in path.split("/"):
            continue
        (folder / path).parent.mkdir(parents=True, exist_ok=True)
        (folder / path).write_text(file.content, encoding="utf-8")


def _run(command: list[str], cwd: Path, timeout_s: float) -> dict[str, Schema | None]:
    try:
        proc = run_in_group(command, cwd=cwd, timeout_s=timeout_s)
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"typescript-json-schema timed out after {timeout_s:g}s") from exc
    except OSError as exc:
        raise ToolchainError(f"typescript-json-schema could not be started: {exc}") from exc
    try:
        found = json.loads(proc.stdout) if proc.returncode == 0 else None
    except json.JSONDecodeError:
        found = None
    if not isinstance(found, dict):
        tail = (proc.stderr or proc.stdout).strip()[-1500:] or "no output"
        raise ToolchainError(f"typescript-json-schema failed (exit {proc.returncode}): {tail}")
    return {str(k): v if isinstance(v, dict) else None for k, v in found.items()}
