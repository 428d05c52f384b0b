"""One compiler run over groups of bundles: each group (bundles that share options) is a
project of its own, and several are built by one `tsc -b`. They stay separate programs, so
each bundle's diagnostics are what a run of its group alone gives, but the compiler parses
the platform's typings once for all of them (a loose bundle's own options and our strict
policy, or a batch's option groups, no longer cost a compiler start and parse each).

A typed contract check (`extra`) can be one more project of the run, in a folder of its
own, so that a batch and the check of its contracts share the typings too.

Diagnostics a shared run cannot place in one bundle (a config's, a typing's, none located)
make the caller compile each group alone, as `None` says.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from typing import TypeVar

from codegen_tasks.checks.scratch import scratch_dir
from codegen_tasks.checks.static.extra import ExtraJob, ExtraReport, extra_report, write_project
from codegen_tasks.checks.static.tsc import (
    CONFIG_NAME,
    FOLDER_RE,
    Compiled,
    Diagnostic,
    Unit,
    bundle_findings,
    emitted,
    is_semantic,
    link_typings,
    missing_output,
    parse_diagnostics,
    run_tsc,
    write_bundle,
    write_config,
)
from codegen_tasks.domain.results import Finding

K = TypeVar("K", bound=Hashable)
Groups = list[dict[K, Unit]]
# the verdicts, and per group the clean bundles a syntax error elsewhere in it may hide
Outcome = tuple[dict[K, Compiled], list[set[K]]]
EXTRA_PROJECT = "typed"  # the extra project's folder in a shared run


def _placed(diagnostics: list[Diagnostic], folders: set[str]) -> bool:
    return all(path is not None and path.split("/", 1)[0] in folders for path, _, _ in diagnostics)


def _config_name(index: int, count: int) -> str:
    return CONFIG_NAME if count == 1 else CONFIG_NAME.replace(".json", f".{index}.json")


def compile_groups(
    command: list[str],
    node_modules: Path,
    groups: Groups[K],
    *,
    timeout_s: float,
    work_root: Path | None = None,
    extra: ExtraJob | None = None,
) -> tuple[Outcome[K], ExtraReport | None] | None:
    """One tsc run over the groups (and `extra`'s project): their outcome, and the extra
    report; None when several projects left diagnostics it cannot place (compile each
    alone then)."""
    with scratch_dir("tsc", work_root) as tmp:
        work = tmp / "work"
        work.mkdir()
        units = {key: unit for group in groups for key, unit in group.items()}
        folders = {key: f"b{i}" for i, key in enumerate(units)}
        pre = {key: write_bundle(work / folders[key], unit) for key, unit in units.items()}
        link_typings(work, node_modules)
        projects = [{folders[k]: u for k, u in group.items() if u.sources()} for group in groups]
        configs = [_config_name(i, len(groups)) for i in range(len(groups))]
        built = [name for name, project in zip(configs, projects, strict=True) if project]
        for name, project in zip(configs, projects, strict=True):
            if project:
                write_config(work, project, name)
        paths = write_project(work / EXTRA_PROJECT, node_modules, *extra) if extra else []
        if paths:
            built.append(f"{EXTRA_PROJECT}/{CONFIG_NAME}")
        nothing: list[set[K]] = [set() for _ in groups]
        if not built:
            return ({k: Compiled(pre[k]) for k in units}, nothing), None
        ran = run_tsc(command, work, timeout_s, built)
        if isinstance(ran, Finding):
            skipped = ExtraReport(skipped=ran.message) if paths else None
            return ({k: Compiled([*pre[k], ran]) for k in units}, nothing), skipped
        diagnostics, typed = _split(parse_diagnostics(ran))
        if len(built) > 1 and not _placed(diagnostics, set(folders.values())):
            return None
        found = extra_report(typed, paths) if paths else None
        out = tmp / "out"
        verdicts = {
            key: Compiled(
                pre[key],
                bundle_findings(diagnostics, folders[key]),
                missing_output(out / folders[key], unit),
                emitted(out / folders[key]),
            )
            for key, unit in units.items()
        }
        return (
            verdicts,
            [_unsure(group, folders, verdicts, diagnostics) for group in groups],
        ), found


def _split(diagnostics: list[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """The groups' diagnostics, and the extra project's (paths relative to its folder)."""
    prefix = f"{EXTRA_PROJECT}/"
    groups = [d for d in diagnostics if d[0] is None or not d[0].startswith(prefix)]
    typed: list[Diagnostic] = [
        (p.removeprefix(prefix), n, t) for p, n, t in diagnostics if p and p.startswith(prefix)
    ]
    return groups, typed


def _unsure(
    group: dict[K, Unit],
    folders: dict[K, str],
    verdicts: dict[K, Compiled],
    diagnostics: list[Diagnostic],
) -> set[K]:
    """The group's clean bundles, when a syntax error in the group kept tsc from checking
    its program (a diagnostic nobody can place counts for every group)."""
    own = {folders[k] for k in group}
    found = [
        text
        for path, _, text in diagnostics
        if path is None or path.split("/", 1)[0] in own or not FOLDER_RE.match(path)
    ]
    if all(is_semantic(text) for text in found):
        return set()
    return {key for key in group if not verdicts[key].diagnostics}
