"""The typescript and build levels: the real tsc, the bundle's own sanitised tsconfig, the
platform's real typings.

typescript = every diagnostic under the bundle's own options (what `nest build` sees);
our strict policy is one more finding when the bundle's options are looser: the same code
compiled again in strict mode, a warning unless the operator makes it an error. build =
what is its own: a source that produced no JavaScript, or one finding that refers to the
typescript errors that fail `tsc` (they are not repeated). Changes the sanitiser made are a
warning. `check_many` compiles bundles that share options as one program (a folder each);
bundles that could share scope (scripts, `declare global`, ambient modules, imports out of
their folder) or carry `paths` run alone; and as tsc skips type checking of a whole program
once any file has a syntax error, bundles a failing run left clean are compiled again
without the others. So each bundle gets the verdict `check` would give it. The groups, and
the strict policy's programs, are built by one compiler run (`projects`).
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict, Field

from codegen_tasks.checks.contracts.imports import declares_globals, imports
from codegen_tasks.checks.contracts.syntax import parse_source
from codegen_tasks.checks.static.extra import ExtraJob, ExtraReport, ExtraSources, compile_extra
from codegen_tasks.checks.static.projects import Groups, K, Outcome, compile_groups
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.tsc import (
    Compiled,
    Unit,
    finding,
    parse_diagnostics,
)
from codegen_tasks.checks.static.tsconfig import SanitisedConfig, sanitise
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel
from codegen_tasks.errors import ToolchainError
from codegen_tasks.settings import Settings

DEFAULT_TIMEOUT_S = 120.0
LEAKY = "leaky:"  # the group key's prefix of a bundle that needs a compiler run of its own
OWN, POLICY = "own", "policy"  # a bundle compiled under its own options, or our strict ones
_MODULE_NOT_FOUND = re.compile(r"TS(?:2307|2792|2882):")

__all__ = [
    "BundleChecker",
    "ExtraReport",
    "ExtraSources",
    "TypeScriptChecker",
    "TypeScriptReport",
    "parse_diagnostics",
]


class TypeScriptReport(BaseModel):
    """Findings of the typescript and build levels; `skipped` says why they were not run.
    `tsc_errors` counts the compiler's errors under the bundle's own options (what fails
    `tsc`, so the build); `emit` holds the build's own findings (sources left without JS)."""

    model_config = ConfigDict(frozen=True)

    typescript: list[Finding] = Field(default_factory=list)
    emit: list[Finding] = Field(default_factory=list)
    tsc_errors: int = 0
    warnings: list[Finding] = Field(default_factory=list)
    skipped: str | None = None
    # the emitted JavaScript (`src/main.js` → text): what the runtime check runs
    javascript: dict[str, str] = Field(default_factory=dict, repr=False)

    @property
    def build(self) -> list[Finding]:
        """The build level: one finding that refers to what fails tsc, and emit failures."""
        if not self.tsc_errors:
            return list(self.emit)
        where = "typescript" if self.typescript else "structural"
        message = f"not built: tsc fails on {self.tsc_errors} error(s), listed under {where}"
        return [finding(message, None, 0, ValidationLevel.BUILD), *self.emit]

    @property
    def typescript_passed(self) -> bool | None:
        return None if self.skipped else not self.typescript

    @property
    def build_passed(self) -> bool | None:
        return None if self.skipped else not self.build

    def without_echoes(self, reported: list[Finding]) -> TypeScriptReport:
        """Without "cannot find module" diagnostics at imports another level reported."""
        places = {(f.file, f.line) for f in reported}
        kept = [
            f
            for f in self.typescript
            if not (_MODULE_NOT_FOUND.match(f.message) and (f.file, f.line) in places)
        ]
        return self.model_copy(update={"typescript": kept})


def _is_leaky(unit: Unit) -> bool:
    """Could this bundle share scope with others (globals, or imports out of its folder)?"""
    for file in unit.files:
        if file.path not in unit.sources() and not file.path.endswith(".d.ts"):
            continue
        source = parse_source(file.path, file.content)
        if declares_globals(source):
            return True
        for item in imports(source):
            joined = posixpath.join(posixpath.dirname(file.path), item.specifier)
            if item.is_relative and posixpath.normpath(joined).startswith(".."):
                return True
    return False


def _group_key(key: str, unit: Unit) -> str:
    """Bundles of one key share a program. A leaky one also gets a compiler run (and a
    scratch directory) of its own: its imports out of its folder must find nothing."""
    if _is_leaky(unit):
        return f"{LEAKY}{key}"
    if "paths" in unit.options:
        return f"alone:{key}"
    return json.dumps(unit.options, sort_keys=True, default=str)


class BundleChecker(Protocol):
    """The typescript and build levels of one bundle, or of several in one compiler run."""

    def check(self, files: list[GeneratedFile]) -> TypeScriptReport: ...

    def check_many(
        self, bundles: dict[str, list[GeneratedFile]]
    ) -> dict[str, TypeScriptReport]: ...

    def check_batch(
        self,
        bundles: dict[str, list[GeneratedFile]],
        extra: ExtraSources | None = None,
        against: Mapping[str, list[GeneratedFile]] | None = None,
    ) -> tuple[dict[str, TypeScriptReport], ExtraReport]: ...

    def check_extra(
        self, bundles: Mapping[str, list[GeneratedFile]], extra: ExtraSources
    ) -> ExtraReport: ...


class TypeScriptChecker:
    def __init__(
        self,
        toolchain: Toolchain,
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        work_root: Path | None = None,
        strict_is_error: bool = False,
    ) -> None:
        self.toolchain = toolchain
        self.timeout_s = timeout_s
        self.work_root = work_root
        self.strict_is_error = strict_is_error

    @classmethod
    def from_settings(cls, settings: Settings) -> TypeScriptChecker:
        return cls(
            Toolchain.from_settings(settings),
            work_root=settings.effective_scratch_dir,
            strict_is_error=settings.strict_typescript,
        )

    def check(self, files: list[GeneratedFile]) -> TypeScriptReport:
        return self.check_many({"bundle": files})["bundle"]

    def check_many(self, bundles: dict[str, list[GeneratedFile]]) -> dict[str, TypeScriptReport]:
        """Validate several bundles with as few compiler runs as isolation allows."""
        return self._checked(bundles, None)[0]

    def check_batch(
        self,
        bundles: dict[str, list[GeneratedFile]],
        extra: ExtraSources | None = None,
        against: Mapping[str, list[GeneratedFile]] | None = None,
    ) -> tuple[dict[str, TypeScriptReport], ExtraReport]:
        """`check_many`, and the `extra` sources compiled against `against` (the bundles by
        default; see `extra`), in the same compiler run."""
        if extra is None or not bundles:
            return self.check_many(bundles), ExtraReport()
        return self._checked(bundles, (against if against is not None else bundles, extra))

    def _checked(
        self, bundles: dict[str, list[GeneratedFile]], extra: ExtraJob | None
    ) -> tuple[dict[str, TypeScriptReport], ExtraReport]:
        try:
            command = self.toolchain.tsc_command()
        except ToolchainError as exc:
            skipped = TypeScriptReport(skipped=exc.message)
            return {key: skipped for key in bundles}, ExtraReport(skipped=exc.message)
        platform = set(self.toolchain.platform.versions)
        configs = {
            k: sanitise({f.path: f.content for f in v}, platform) for k, v in bundles.items()
        }
        # each bundle under its own options, and the loose ones under our strict policy too
        # (kept when its own options find no error): one compiler run for both
        units: dict[tuple[str, str], Unit] = {
            (OWN, k): Unit(bundles[k], configs[k], configs[k].options) for k in bundles
        }
        units |= {
            (POLICY, k): Unit(bundles[k], configs[k], configs[k].strict_options())
            for k in bundles
            if not configs[k].is_strict
        }
        compiled, found = self._verdicts(command, units, extra)
        own = {k: compiled[(OWN, k)] for k in bundles}
        policy = {
            k: compiled[(POLICY, k)]
            for k in bundles
            if (POLICY, k) in compiled and not own[k].errors
        }
        reports = {k: self._report(configs[k], own[k], policy.get(k)) for k in bundles}
        return reports, found or ExtraReport()

    def check_extra(
        self, bundles: Mapping[str, list[GeneratedFile]], extra: ExtraSources
    ) -> ExtraReport:
        """The `extra` sources alone, compiled against the bundles: for callers that hold
        the bundles' own verdicts already (a run's close, a breaking-change report)."""
        if not bundles:
            return ExtraReport()
        try:
            command = self.toolchain.tsc_command()
        except ToolchainError as exc:
            return ExtraReport(skipped=exc.message)
        return compile_extra(
            command,
            self.toolchain.node_modules,
            bundles,
            extra,
            timeout_s=self.timeout_s,
            work_root=self.work_root,
        )

    def _verdicts(
        self, command: list[str], units: dict[K, Unit], extra: ExtraJob | None = None
    ) -> tuple[dict[K, Compiled], ExtraReport | None]:
        grouped: dict[str, dict[K, Unit]] = {}
        for key, unit in units.items():
            grouped.setdefault(_group_key(str(key), unit), {})[key] = unit
        groups = list(grouped.values())
        alone = [key.startswith(LEAKY) for key in grouped]
        (verdicts, unsure), found = self._compile(command, groups, extra, alone)
        # tsc skips type checking of a whole program when any file has a syntax error, so
        # bundles such a program left clean are checked again without the others.
        again = [
            {k: group[k] for k in clean}
            for group, clean in zip(groups, unsure, strict=True)
            if clean and len(group) > 1
        ]
        if again:
            verdicts.update(self._compile(command, again)[0][0])
        return verdicts, found

    def _compile(
        self,
        command: list[str],
        groups: Groups[K],
        extra: ExtraJob | None = None,
        alone: list[bool] | None = None,
    ) -> tuple[Outcome[K], ExtraReport | None]:
        """The groups (and `extra`) in one compiler run, but those marked `alone` in runs of
        their own; one run each when the shared run left diagnostics it cannot place."""
        alone = alone or [False] * len(groups)
        node_modules, limit, root = self.toolchain.node_modules, self.timeout_s, self.work_root
        shared = [g for g, own_run in zip(groups, alone, strict=True) if not own_run]
        together = compile_groups(
            command, node_modules, shared, timeout_s=limit, work_root=root, extra=extra
        )
        if together is None:  # fall back to one run per group
            alone, found = [True] * len(groups), None
            if extra is not None:
                found = compile_extra(
                    command, node_modules, *extra, timeout_s=limit, work_root=root
                )
        else:
            found = together[1]
        verdicts: dict[K, Compiled] = dict(together[0][0]) if together else {}
        shared_unsure = iter(together[0][1] if together else [])
        unsure: list[set[K]] = []
        for group, own_run in zip(groups, alone, strict=True):
            if not own_run:
                unsure.append(next(shared_unsure))
                continue
            single = compile_groups(command, node_modules, [group], timeout_s=limit, work_root=root)
            assert single is not None  # a single project places every diagnostic
            verdicts.update(single[0][0])
            unsure += single[0][1]
        return (verdicts, unsure), found

    def _report(
        self, config: SanitisedConfig, own: Compiled, policy: Compiled | None
    ) -> TypeScriptReport:
        errors, warnings = own.errors, []
        if config.changes:
            changes = "; ".join(config.changes)
            warnings.append(finding(f"{config.source} sanitised for validation: {changes}", None))
        if policy is not None and policy.diagnostics:
            strict = _strict_finding(config, policy.diagnostics)
            (errors if self.strict_is_error else warnings).append(strict)
        return TypeScriptReport(
            typescript=errors,
            emit=own.missing,
            tsc_errors=len(own.errors),
            warnings=warnings,
            javascript=own.javascript,
        )


def _strict_finding(config: SanitisedConfig, diagnostics: list[Finding]) -> Finding:
    first = diagnostics[0]
    where = f"{first.file}:{first.line}: " if first.file else ""
    message = (
        f"strict mode (our policy; {config.source} does not enable it) finds "
        f"{len(diagnostics)} error(s); first: {where}{first.message}"
    )
    return finding(message, first.file, first.line)
