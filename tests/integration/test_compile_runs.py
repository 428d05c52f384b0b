"""One compiler run for several projects, and what it does with diagnostics it cannot place:
a stand-in compiler (a script printing what tsc would) makes each case exact."""

from __future__ import annotations

import sys
from pathlib import Path

from codegen_tasks.checks.static.projects import EXTRA_PROJECT, compile_groups
from codegen_tasks.checks.static.tsc import Unit
from codegen_tasks.checks.static.tsconfig import sanitise
from codegen_tasks.domain.files import GeneratedFile

STAND_IN = """
import pathlib, sys
pathlib.Path("{log}").write_text(" ".join(sys.argv[1:]))
sys.stdout.write({output!r})
sys.exit(2)
"""


def stand_in(tmp_path: Path, output: str) -> tuple[list[str], Path]:
    log = tmp_path / "argv"
    script = tmp_path / "tsc.py"
    script.write_text(STAND_IN.format(log=log, output=output))
    return [sys.executable, str(script)], log


def unit(options: dict[str, object]) -> Unit:
    files = [GeneratedFile(path="src/main.ts", content="export const a = 1;\n")]
    config = sanitise({f.path: f.content for f in files}, set())
    return Unit(files, config, {**config.options, **options})


def test_groups_are_projects_of_one_run_and_diagnostics_go_to_their_bundle(
    tmp_path: Path,
) -> None:
    output = "b1/src/main.ts(1,14): error TS2322: Type 'string' is not assignable.\n"
    command, log = stand_in(tmp_path, output)
    groups = [{"own": unit({})}, {"policy": unit({"strict": True, "noImplicitAny": True})}]
    outcome = compile_groups(command, tmp_path, groups, timeout_s=30, work_root=tmp_path)
    assert outcome is not None
    (verdicts, unsure), extra = outcome
    argv = log.read_text().split()
    assert argv[0] == "-b" and len([a for a in argv if a.endswith(".json")]) == 2
    assert verdicts["own"].diagnostics == [] and extra is None
    [found] = verdicts["policy"].diagnostics
    assert (found.file, found.line) == ("src/main.ts", 1) and "TS2322" in found.message
    assert unsure == [set(), set()]


def test_a_diagnostic_no_bundle_owns_makes_each_project_run_alone(tmp_path: Path) -> None:
    output = "node_modules/x/index.d.ts(3,1): error TS2300: Duplicate identifier 'x'.\n"
    command, _ = stand_in(tmp_path, output)
    groups = [{"a": unit({})}, {"b": unit({"strict": True})}]
    assert compile_groups(command, tmp_path, groups, timeout_s=30, work_root=tmp_path) is None
    alone = compile_groups(command, tmp_path, groups[:1], timeout_s=30, work_root=tmp_path)
    assert alone is not None  # alone, the run's diagnostics are its bundle's
    [found] = alone[0][0]["a"].diagnostics
    assert "TS2300" in found.message and "index.d.ts" in found.message


def test_the_typed_check_is_a_project_of_the_run(tmp_path: Path) -> None:
    output = (
        f"{EXTRA_PROJECT}/extra/compat.ts(2,7): error TS2322: Type 'number' is not assignable.\n"
        f"{EXTRA_PROJECT}/b0/src/main.ts(1,1): error TS7006: Parameter implicitly any.\n"
    )
    command, log = stand_in(tmp_path, output)
    bundles = {"orders": unit({}).files}
    job = (bundles, lambda folders: {"compat.ts": f"import '../{folders['orders']}/src/main';\n"})
    outcome = compile_groups(
        command, tmp_path, [{"orders": unit({})}], timeout_s=30, work_root=tmp_path, extra=job
    )
    assert outcome is not None
    (verdicts, _), extra = outcome
    assert f"{EXTRA_PROJECT}/tsconfig.codegen.json" in log.read_text().split()
    assert verdicts["orders"].diagnostics == []  # the typed project's lines are not its own
    assert extra is not None and extra.diagnostics == [
        ("extra/compat.ts", 2, "TS2322: Type 'number' is not assignable. (column 7)")
    ]
