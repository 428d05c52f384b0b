"""The bundle's own tsconfig, sanitised so it is compiled as its author builds it (pure).

The config the Nest CLI builds with is read (nest-cli.json `compilerOptions.tsConfigPath`,
else tsconfig.build.json, else tsconfig.json) with its in-bundle `extends` chain merged.
Then: every path stays inside the bundle (`baseUrl` becomes `paths`, written relative to the
bundle, so TypeScript 5.9 and 7 both accept it; targets escaping it are dropped), `types`
keeps only packages the platform ships, `typeRoots` only folders of the bundle, emit options
are ours, and options TypeScript 7 removed are mapped to their successors. Each change that
can alter a verdict is listed, so the finding can say what was compiled.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection

from pydantic import BaseModel, ConfigDict, Field

from codegen_tasks.checks.static.jsonc import parse_jsonc
from codegen_tasks.checks.static.tsoptions import fix_options

TSCONFIG = "tsconfig.json"
BUILD_TSCONFIG = "tsconfig.build.json"
NEST_CLI = "nest-cli.json"
MAX_EXTENDS = 8
DEFAULT_INCLUDE = ("**/*",)
ALWAYS_EXCLUDED = (
    "node_modules",
    "dist",
    "test",
    "**/*.spec.ts",
    "**/*.test.ts",
    "**/*.e2e-spec.ts",
)
STRICT_FAMILY = (
    "noImplicitAny",
    "strictNullChecks",
    "strictFunctionTypes",
    "strictBindCallApply",
    "strictPropertyInitialization",
    "noImplicitThis",
    "useUnknownInCatchVariables",
    "alwaysStrict",
)


class SanitisedConfig(BaseModel):
    """compilerOptions with bundle-relative paths, the bundle-relative file selection, what
    was changed, and whether the options already meet our strict policy."""

    model_config = ConfigDict(frozen=True)

    source: str = TSCONFIG
    options: dict[str, object] = Field(default_factory=dict)
    include: list[str] = Field(default_factory=lambda: list(DEFAULT_INCLUDE))
    exclude: list[str] = Field(default_factory=list)
    files: list[str] = Field(default_factory=list)
    changes: list[str] = Field(default_factory=list)

    @property
    def is_strict(self) -> bool:
        options = self.options
        return options.get("strict") is True and all(
            options.get(k) is not False for k in STRICT_FAMILY
        )

    @property
    def paths(self) -> dict[str, list[str]]:
        """The `paths` mapping, targets relative to the bundle root (`./src/*`)."""
        paths = self.options.get("paths")
        if not isinstance(paths, dict):
            return {}
        return {str(k): [str(t) for t in v] for k, v in paths.items() if isinstance(v, list)}

    def strict_options(self) -> dict[str, object]:
        """The options under our policy: strict mode with none of its checks turned off."""
        kept = {k: v for k, v in self.options.items() if k not in STRICT_FAMILY}
        return {**kept, "strict": True}


def _object(text: str | None) -> dict[str, object]:
    if text is None:
        return {}
    try:
        value = parse_jsonc(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def config_path(by_path: dict[str, str]) -> str:
    """The tsconfig the Nest CLI builds with."""
    options = _object(by_path.get(NEST_CLI)).get("compilerOptions")
    named = options.get("tsConfigPath") if isinstance(options, dict) else None
    if isinstance(named, str) and _inside(posixpath.normpath(named)) in by_path:
        return posixpath.normpath(named)
    return BUILD_TSCONFIG if BUILD_TSCONFIG in by_path else TSCONFIG


def project_configs(by_path: dict[str, str]) -> list[str]:
    """The tsconfigs of every project of a Nest CLI monorepo (their files are compiled too)."""
    projects = _object(by_path.get(NEST_CLI)).get("projects")
    found: list[str] = []
    for project in projects.values() if isinstance(projects, dict) else []:
        options = project.get("compilerOptions") if isinstance(project, dict) else None
        named = options.get("tsConfigPath") if isinstance(options, dict) else None
        if isinstance(named, str) and _inside(named) in by_path:
            found.append(_inside(named))
    return found


def _selection(chain: list[tuple[str, dict[str, object]]]) -> dict[str, list[str]]:
    """include / exclude / files of a config chain, bundle-relative (the last one set wins)."""
    selection: dict[str, list[str]] = {}
    for folder, config in chain:
        for key in ("include", "exclude", "files"):
            value = config.get(key)
            if isinstance(value, list):
                selection[key] = [_join(folder, str(v)) for v in value if _join(folder, str(v))]
    return selection


def _inside(path: str) -> str:
    normal = posixpath.normpath(path)
    return "" if normal == ".." or normal.startswith("../") or normal.startswith("/") else normal


def _join(folder: str, path: str) -> str:
    return _inside(posixpath.join(folder, path))


def _chain(
    path: str, by_path: dict[str, str], changes: list[str]
) -> list[tuple[str, dict[str, object]]]:
    """The config and what it extends inside the bundle, base first."""
    chain: list[tuple[str, dict[str, object]]] = []
    todo, seen = [path], set[str]()
    while todo and len(seen) < MAX_EXTENDS:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        config = _object(by_path.get(current))
        chain.insert(0, (posixpath.dirname(current), config))
        extends = config.get("extends")
        for parent in (
            [extends] if isinstance(extends, str) else extends if isinstance(extends, list) else []
        ):
            target = (
                _join(posixpath.dirname(current), str(parent))
                if str(parent).startswith(".")
                else ""
            )
            target = target if target.endswith(".json") or not target else f"{target}.json"
            if target in by_path:
                todo.append(target)
            else:
                changes.append(f"extends {parent!r} is not a file of the bundle; ignored")
    return chain


def sanitise(by_path: dict[str, str], platform_types: Collection[str]) -> SanitisedConfig:
    """The bundle's build config made safe to compile against the platform's typings."""
    source = config_path(by_path)
    changes: list[str] = []
    options: dict[str, object] = {}
    base_url: str | None = None
    paths: tuple[str, dict[str, object]] | None = None
    chain = _chain(source, by_path, changes)
    for folder, config in chain:
        compiler = config.get("compilerOptions")
        for key, value in (compiler if isinstance(compiler, dict) else {}).items():
            if key == "baseUrl" and isinstance(value, str):
                base_url = _join(folder, value) or "."
            elif key == "paths" and isinstance(value, dict):
                paths = (folder, value)
            else:
                options[key] = value
    options = fix_options(options, platform_types, changes)
    options.update(_paths(base_url, paths, changes))
    selections = [_selection(chain)] + [
        _selection(_chain(other, by_path, []))
        for other in project_configs(by_path)
        if other != source
    ]
    pick = [
        (s.get("include", [] if "files" in s else list(DEFAULT_INCLUDE)), s) for s in selections
    ]
    return SanitisedConfig(
        source=source,
        options=options,
        include=sorted({p for include, _ in pick for p in include}),
        exclude=[*sorted({p for s in selections for p in s.get("exclude", [])}), *ALWAYS_EXCLUDED],
        files=sorted({p for s in selections for p in s.get("files", [])}),
        changes=changes,
    )


def _paths(
    base_url: str | None, paths: tuple[str, dict[str, object]] | None, changes: list[str]
) -> dict[str, object]:
    """`paths` relative to the bundle root (`./x/*`), `baseUrl` folded in."""
    rewritten: dict[str, list[str]] = {}
    if paths is not None:
        folder, mapping = paths
        base = base_url if base_url is not None else folder
        for pattern, targets in mapping.items():
            inside = [_join(base, str(t)) for t in targets] if isinstance(targets, list) else []
            kept = [f"./{t}" for t in inside if t]
            if len(kept) < (len(targets) if isinstance(targets, list) else 1):
                changes.append(f"paths {pattern!r}: targets outside the bundle dropped")
            if kept:
                rewritten[str(pattern)] = kept
    if base_url is not None:
        rewritten.setdefault("*", [f"./{base_url}/*" if base_url != "." else "./*"])
        changes.append(
            f"baseUrl {base_url!r} (removed in TypeScript 7) became paths relative to the bundle"
        )
    return {"paths": rewritten} if rewritten else {}


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A tsconfig include/exclude pattern as a regex over bundle paths (a folder matches all
    below it; `**/` any depth, `*` and `?` within one segment)."""
    out = ""
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(f"^(?:\\./)?{out}(?:/.*)?$")


def selected(config: SanitisedConfig, path: str) -> bool:
    """Would tsc compile this bundle file under the config's include/exclude/files?"""
    if not path.endswith((".ts", ".tsx")) or path.endswith(".d.ts"):
        return False
    if path in config.files:
        return True
    included = any(glob_regex(p).match(path) for p in config.include)
    return included and not any(glob_regex(p).match(path) for p in config.exclude)
