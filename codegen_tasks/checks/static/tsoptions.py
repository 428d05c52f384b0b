"""compilerOptions rules of the sanitised tsconfig (pure): options whose values are ours
(emit), options TypeScript 5.5 or 7 removed and their successors, typings only from the
platform, and stated defaults where TypeScript 5 and 7 differ."""

from __future__ import annotations

from collections.abc import Collection

OURS = frozenset(
    [
        "outDir",
        "outFile",
        "out",
        "rootDir",
        "rootDirs",
        "declarationDir",
        "declaration",
        "declarationMap",
        "emitDeclarationOnly",
        "sourceMap",
        "inlineSourceMap",
        "inlineSources",
        "sourceRoot",
        "mapRoot",
        "incremental",
        "composite",
        "tsBuildInfoFile",
        "noEmit",
        "noEmitOnError",
        "removeComments",
        "plugins",
        "listFiles",
        "listEmittedFiles",
        "traceResolution",
        "explainFiles",
        "diagnostics",
        "extendedDiagnostics",
        "generateTrace",
        "newLine",
        "ignoreDeprecations",
        "skipLibCheck",
        "skipDefaultLibCheck",
    ]
)
# Options TypeScript 5.5 or 7 removed: dropped, or the value they were replaced with.
REMOVED_OPTIONS = frozenset(
    [
        "importsNotUsedAsValues",
        "preserveValueImports",
        "keyofStringsOnly",
        "suppressExcessPropertyErrors",
        "suppressImplicitAnyIndexErrors",
        "noImplicitUseStrict",
        "noStrictGenericChecks",
        "charset",
        "prepend",
        "downlevelIteration",
    ]
)
DEFAULT_TARGET = "ES2021"
ES_MODULES = frozenset({"es6", "es2015", "es2020", "es2022", "esnext", "preserve"})
REMOVED_VALUES: dict[str, tuple[frozenset[str], object | None]] = {
    "target": (frozenset({"es3", "es5"}), DEFAULT_TARGET),
    "module": (frozenset({"none", "amd", "system", "umd"}), "commonjs"),
    "moduleResolution": (frozenset({"node", "node10", "classic"}), None),
    "esModuleInterop": (frozenset({"false"}), True),
    "allowSyntheticDefaultImports": (frozenset({"false"}), True),
    "alwaysStrict": (frozenset({"false"}), None),
}


def fix_options(
    options: dict[str, object], platform_types: Collection[str], changes: list[str]
) -> dict[str, object]:
    """The compilerOptions without ours, with removed ones mapped; `changes` gets each
    change that can alter a verdict."""
    fixed: dict[str, object] = {}
    for key, value in options.items():
        if key in OURS:
            continue
        if key in REMOVED_OPTIONS:
            changes.append(f"{key} was removed from TypeScript; dropped")
            continue
        removed, successor = REMOVED_VALUES.get(key, (frozenset(), None))
        if str(value).lower() in removed:
            verb = f"set to {successor!r}" if successor is not None else "left to the default"
            changes.append(f"{key}: {value!r} is removed in TypeScript 7; {verb}")
            if successor is not None:
                fixed[key] = successor
            continue
        if key == "types" and isinstance(value, list):
            kept = [
                str(t) for t in value if str(t) in platform_types or f"@types/{t}" in platform_types
            ]
            dropped = [str(t) for t in value if str(t) not in kept]
            if dropped:
                changes.append(f"types {dropped} are not platform packages; ignored")
            fixed[key] = sorted({*kept, "node"})
            continue
        if key == "typeRoots" and isinstance(value, list):
            changes.append("typeRoots ignored: typings come from the platform")
            continue
        fixed[key] = value
    fixed.setdefault("types", ["node"])
    fixed.setdefault("module", "commonjs")  # how Nest runs; TypeScript 5 and 7 differ here
    fixed.setdefault("target", DEFAULT_TARGET)  # 5 meant ES5, which 7 removed
    if "moduleResolution" not in fixed and str(fixed["module"]).lower() in ES_MODULES:
        fixed["moduleResolution"] = "bundler"  # node10's successor for ES module output
    # Unchecked as in TypeScript 5 (6 and 7 check them); undeclared ones are a structural error.
    fixed.setdefault("noUncheckedSideEffectImports", False)
    fixed.setdefault("strict", False)  # TypeScript 5's default, stated: 6 and 7 default to true
    return fixed
