"""The validation read path is typed end to end: the pipeline answers published models, the
wire leaves absent fields out (as the tasks always answered), the CLI table reads attributes."""

from __future__ import annotations

import jsonschema
from rich.console import Console

from codegen_tasks.api.results import FolderValidation, ServiceValidation, ValidateProjectResult
from codegen_tasks.api.schema import all_schemas
from codegen_tasks.cli.display import validation_table
from codegen_tasks.domain.results import Finding, ValidationLevel, ValidationResult
from codegen_tasks.pipeline import latest
from tests.drive import run_project
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import payload

BROKEN = ValidationResult(
    structural_passed=True,
    contract_passed=False,
    health_check_passed=True,
    errors=[
        Finding(level=ValidationLevel.CONTRACT, message="no handler for 'users.get'", file="a.ts")
    ],
)


def _rows(*services: ServiceValidation | FolderValidation) -> list[str]:
    console = Console(width=200, record=True, color_system=None)
    console.print(validation_table("p1", list(services)))
    return [line.rstrip() for line in console.export_text().splitlines()]


def test_an_entry_carries_the_validation_or_the_error_never_null() -> None:
    missing = ServiceValidation(node_id="n1", service_name="users", error="no bundle")
    checked = ServiceValidation(node_id="n2", service_name="orders", validation=BROKEN)
    assert missing.wire() == {"nodeId": "n1", "serviceName": "users", "error": "no bundle"}
    assert list(checked.wire()) == ["nodeId", "serviceName", "validation"]
    assert checked.wire()["validation"]["healthCheckPassed"] is True
    assert checked.wire()["validation"]["typescriptPassed"] is None  # inside: null, as before
    answer = ValidateProjectResult(project_id="p1", services=[checked, missing]).wire()
    assert answer["services"][1] == missing.wire()
    jsonschema.validate(answer, all_schemas()["codegen.validate_project.result"])
    assert ValidateProjectResult.model_validate(answer).services == [checked, missing]


def test_a_folder_entry_names_its_node_only_when_it_is_an_export() -> None:
    code = FolderValidation(path="/x/users", service_name="users", source="code", validation=BROKEN)
    export = code.model_copy(update={"source": "export", "node_id": "n1"})
    assert list(code.wire()) == ["path", "serviceName", "source", "validation"]
    assert list(export.wire()) == ["path", "serviceName", "source", "nodeId", "validation"]


def test_failed_means_no_validation_or_errors() -> None:
    assert ServiceValidation(node_id="n", service_name="s", error="no bundle").failed
    assert ServiceValidation(node_id="n", service_name="s", validation=BROKEN).failed
    assert not ServiceValidation(
        node_id="n", service_name="s", validation=ValidationResult()
    ).failed
    code = FolderValidation(path="/x", service_name="s", source="code", validation=BROKEN)
    assert code.failed


def test_the_table_shows_each_level_and_the_located_first_error() -> None:
    rows = _rows(
        ServiceValidation(node_id="n2", service_name="orders", validation=BROKEN),
        ServiceValidation(node_id="n1", service_name="users", error="no bundle yet"),
    )
    orders = next(r for r in rows if r.startswith("│ orders")).split("│")[1:-1]
    assert [c.strip() for c in orders] == [
        "orders", "ok", "failed", "not run", "not run", "ok", "not run",
        "a.ts:0 no handler for 'users.get'",
    ]  # fmt: skip
    users = next(r for r in rows if r.startswith("│ users")).split("│")[1:-1]
    assert [c.strip() for c in users][1:] == ["not run"] * 6 + ["no bundle yet"]


def test_code_alone_gets_the_caption() -> None:
    code = FolderValidation(path="/x", service_name="s", source="code", validation=BROKEN)
    caption = "code only: not an export, so no graph node says what it must handle"
    assert caption in "\n".join(_rows(code))
    export = code.model_copy(update={"source": "export", "node_id": "n1"})
    assert caption not in "\n".join(_rows(export))


def test_validate_project_answers_typed_entries(make_deps: MakeDeps) -> None:
    deps = make_deps()
    run = run_project(deps, payload())
    services = latest.validate_project(deps, run.project_id)
    assert sorted(s.service_name for s in services) == sorted(s.service_name for s in run.services)
    assert all(s.validation is not None and s.validation.passed for s in services)
    users = next(s for s in services if s.service_name == "users")
    assert users.validation is not None
    again = latest.validate_latest(deps, run.project_id, users.node_id)
    assert again.levels() == users.validation.levels()
