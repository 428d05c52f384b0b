"""The structural level: is the bundle shaped like a NestJS microservice? Pure; no toolchain.

Rules (each finding names the file and, where possible, the 1-based line; 0 = file missing):
- package.json exists, is a JSON object with a non-empty string `name`, and lists
  @nestjs/common, @nestjs/core and @nestjs/microservices in `dependencies`;
- tsconfig.json exists and parses (JSON with comments and trailing commas, as tsc reads it);
- src/main.ts exists and bootstraps Nest: `NestFactory.createMicroservice(...)`, or
  `NestFactory.create(...)` plus `connectMicroservice(...)` (a hybrid app);
- src/app.module.ts exists, declares `@Module(` and imports another `*.module.ts` of the bundle;
- every relative import in a src/ TypeScript file resolves to a file of the bundle.
Comments are ignored when looking for code, so a commented-out bootstrap does not count.
"""

from __future__ import annotations

import json
import posixpath
import re

from codegen_tasks.files import GeneratedFile
from codegen_tasks.messages import Finding, ValidationLevel

PACKAGE_JSON = "package.json"
TSCONFIG_JSON = "tsconfig.json"
MAIN_TS = "src/main.ts"
APP_MODULE_TS = "src/app.module.ts"
REQUIRED_DEPENDENCIES = ("@nestjs/common", "@nestjs/core", "@nestjs/microservices")

# Linear-time patterns: `... from 'x'`, `import 'x'`, and `require('x')` / `import('x')`.
_IMPORT_RES = (
    re.compile(r"""\bfrom\s*(['"])([^'"\n]+)\1"""),
    re.compile(r"""\bimport\s*(['"])([^'"\n]+)\1"""),
    re.compile(r"""\b(?:require|import)\s*\(\s*(['"])([^'"\n]+)\1"""),
)
_RESOLVE_SUFFIXES = ("", ".ts", ".tsx", ".d.ts", "/index.ts", "/index.tsx", "/index.d.ts")


def _finding(message: str, file: str, line: int = 0) -> Finding:
    return Finding(level=ValidationLevel.STRUCTURAL, message=message, file=file, line=line)


def line_of(text: str, index: int) -> int:
    return text.count("\n", 0, max(index, 0)) + 1


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
    """JSON with comments and trailing commas (the tsconfig dialect); ValueError when invalid."""
    stripped = strip_comments(text)
    return json.loads(re.sub(r",(\s*[}\]])", r"\1", stripped))


def _key_line(text: str, key: str) -> int:
    match = re.search(rf'"{re.escape(key)}"\s*:', text)
    return line_of(text, match.start()) if match else 1


def _package_findings(text: str) -> list[Finding]:
    try:
        manifest = json.loads(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        return [_finding(f"package.json is not valid JSON: {exc}", PACKAGE_JSON, line)]
    if not isinstance(manifest, dict):
        return [_finding("package.json must be a JSON object", PACKAGE_JSON, 1)]
    findings: list[Finding] = []
    name = manifest.get("name")
    if not isinstance(name, str) or not name.strip():
        findings.append(
            _finding("package.json has no package name", PACKAGE_JSON, _key_line(text, "name"))
        )
    deps = manifest.get("dependencies")
    deps = deps if isinstance(deps, dict) else {}
    for package in REQUIRED_DEPENDENCIES:
        if package not in deps:
            findings.append(
                _finding(
                    f"package.json does not list {package} in dependencies",
                    PACKAGE_JSON,
                    _key_line(text, "dependencies"),
                )
            )
    return findings


def _tsconfig_findings(text: str) -> list[Finding]:
    try:
        config = parse_jsonc(text)
    except ValueError as exc:
        line = getattr(exc, "lineno", 1)
        return [_finding(f"tsconfig.json is not valid JSON: {exc}", TSCONFIG_JSON, line)]
    if not isinstance(config, dict):
        return [_finding("tsconfig.json must be a JSON object", TSCONFIG_JSON, 1)]
    options = config.get("compilerOptions", {})
    if not isinstance(options, dict):
        line = _key_line(text, "compilerOptions")
        return [_finding("tsconfig.json compilerOptions must be an object", TSCONFIG_JSON, line)]
    return []


def _main_findings(text: str) -> list[Finding]:
    code = strip_comments(text)
    if re.search(r"\bNestFactory\s*\.\s*createMicroservice\s*[<(]", code):
        return []
    create = re.search(r"\bNestFactory\s*\.\s*create\s*[<(]", code)
    if create and re.search(r"\.\s*connectMicroservice\s*[<(]", code):
        return []
    if create:
        return [
            _finding(
                "src/main.ts creates an HTTP app but never calls connectMicroservice()",
                MAIN_TS,
                line_of(code, create.start()),
            )
        ]
    return [
        _finding(
            "src/main.ts does not bootstrap Nest (NestFactory.createMicroservice, or "
            "NestFactory.create with connectMicroservice)",
            MAIN_TS,
            1,
        )
    ]


def relative_imports(code: str) -> list[tuple[str, int]]:
    """(specifier, line) of every relative import/export/require in comment-free code."""
    found = {
        m.start(2): m.group(2)
        for pattern in _IMPORT_RES
        for m in pattern.finditer(code)
        if m.group(2).startswith(".")
    }
    located: list[tuple[str, int]] = []
    line, position = 1, 0
    for start in sorted(found):
        line += code.count("\n", position, start)
        position = start
        located.append((found[start], line))
    return located


def resolve_import(from_file: str, specifier: str, paths: set[str]) -> str | None:
    """The bundle file a relative specifier resolves to, or None."""
    target = posixpath.normpath(posixpath.join(posixpath.dirname(from_file), specifier))
    if target.startswith("../") or target == "..":
        return None
    bases = [target]
    if target.endswith(".js"):
        bases.insert(0, target[:-3])
    for base in bases:
        for suffix in _RESOLVE_SUFFIXES:
            if base + suffix in paths and (suffix or base.endswith((".ts", ".json"))):
                return base + suffix
    return None


def _app_module_findings(text: str, paths: set[str]) -> list[Finding]:
    code = strip_comments(text)
    decorator = re.search(r"@Module\s*\(", code)
    if decorator is None:
        return [_finding("src/app.module.ts declares no @Module()", APP_MODULE_TS, 1)]
    for specifier, _ in relative_imports(code):
        resolved = resolve_import(APP_MODULE_TS, specifier, paths)
        if resolved and resolved.endswith(".module.ts") and resolved != APP_MODULE_TS:
            return []
    return [
        _finding(
            "src/app.module.ts imports no feature module (*.module.ts) of the bundle",
            APP_MODULE_TS,
            line_of(code, decorator.start()),
        )
    ]


def _import_findings(files: list[GeneratedFile], paths: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    for file in files:
        if not (file.path.startswith("src/") and file.path.endswith((".ts", ".tsx"))):
            continue
        for specifier, line in relative_imports(strip_comments(file.content)):
            if resolve_import(file.path, specifier, paths) is None:
                findings.append(
                    _finding(f"import '{specifier}' does not resolve to a file", file.path, line)
                )
    return findings


def structural_findings(files: list[GeneratedFile]) -> list[Finding]:
    """Every structural problem of the bundle; an empty list means the level passed."""
    by_path = {f.path: f.content for f in files}
    paths = set(by_path)
    checks = (
        (PACKAGE_JSON, _package_findings),
        (TSCONFIG_JSON, _tsconfig_findings),
        (MAIN_TS, _main_findings),
    )
    findings: list[Finding] = []
    for path, check in checks:
        if path in by_path:
            findings += check(by_path[path])
        else:
            findings.append(_finding(f"{path} is missing", path))
    if APP_MODULE_TS in by_path:
        findings += _app_module_findings(by_path[APP_MODULE_TS], paths)
    else:
        findings.append(_finding(f"{APP_MODULE_TS} is missing", APP_MODULE_TS))
    return findings + _import_findings(files, paths)
