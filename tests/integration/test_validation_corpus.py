"""Deliberately broken bundles: each fails exactly the right level, at the right file and line.

All bundles are compiled in one `tsc` invocation (`check_many`), as project validation does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import ValidationResult
from codegen_tasks.domain.spec import ServiceSpec, build_service_spec
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.pipeline.check import combine
from codegen_tasks.settings import get_settings
from tests.examples import node_id, shop

pytestmark = pytest.mark.integration

CONTROLLER = "src/orders/orders.controller.ts"
CATALOG_CLIENT = "src/clients/catalog.client.ts"
LEVELS = ("structural", "contract", "typescript", "build", "health_check", "contract_discovery")

Files = dict[str, str]


@dataclass(frozen=True)
class Case:
    mutate: Callable[[Files], None]
    failed: set[str]  # the levels that must fail, no more, no fewer (a bundle with
    # TypeScript errors does not build either: `tsc` exits non-zero)
    file: str | None  # where the first error of the main level must point
    line: int | None


def _replace(path: str, old: str, new: str) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        assert old in files[path], (path, old)
        files[path] = files[path].replace(old, new, 1)

    return mutate


def _line_of(files: Files, path: str, needle: str) -> int:
    return next(i for i, line in enumerate(files[path].splitlines(), 1) if needle in line)


def _drop(path: str) -> Callable[[Files], None]:
    return lambda files: files.pop(path) and None


def _constants(value: str) -> Callable[[Files], None]:
    def mutate(files: Files) -> None:
        files["src/orders/orders.patterns.ts"] = (
            f"export const ORDER_PATTERNS = {{ CREATE: '{value}' }} as const;\n"
        )
        files[CONTROLLER] = (
            files[CONTROLLER]
            .replace("@MessagePattern('orders.create')", "@MessagePattern(ORDER_PATTERNS.CREATE)")
            .replace(
                "import { OrdersService } from './orders.service';",
                "import { OrdersService } from './orders.service';\n"
                "import { ORDER_PATTERNS } from './orders.patterns';",
            )
        )

    return mutate


TYPE_ERROR = "    const broken: number = 'not a number';\n"
CASES: dict[str, Case] = {
    "intact": Case(lambda files: None, set(), None, None),
    "type_error": Case(
        _replace(
            CONTROLLER,
            "    return this.service.findOne(dto);",
            TYPE_ERROR + "    void broken;\n    return this.service.findOne(dto);",
        ),
        {"typescript", "build"},
        CONTROLLER,
        None,
    ),
    "missing_main": Case(_drop("src/main.ts"), {"structural"}, "src/main.ts", 0),
    "missing_handler_for_called_pattern": Case(
        _replace(CONTROLLER, "  @MessagePattern('orders.create')\n", ""),
        {"contract"},
        CONTROLLER,
        None,
    ),
    "no_health_handler": Case(
        _replace(CONTROLLER, "  @MessagePattern('orders.health')\n", ""),
        {"health_check"},  # one finding per cause
        CONTROLLER,
        None,
    ),
    "wrong_import": Case(
        _replace(
            CONTROLLER,
            "import { Controller } from '@nestjs/common';",
            "import { Controller, Nonexistent } from '@nestjs/common';\nvoid Nonexistent;",
        ),
        {"typescript", "build"},
        CONTROLLER,
        1,
    ),
    "syntax_error": Case(
        _replace(
            CONTROLLER,
            "    return { status: 'ok', service: 'orders' };",
            "    return { status: 'ok', service: 'orders' ;",
        ),
        {"typescript", "build"},
        CONTROLLER,
        None,
    ),
    "client_calls_missing_pattern": Case(
        _replace(CATALOG_CLIENT, "'catalog.findOne'", "'catalog.lookup'"),
        {"contract"},
        CATALOG_CLIENT,
        None,
    ),
    "pattern_constant_from_another_file": Case(_constants("orders.create"), set(), None, None),
    "wrong_pattern_constant_from_another_file": Case(
        _constants("orders.make"), {"contract"}, CONTROLLER, None
    ),
}
# The main level whose first error is located; the other failed levels follow from it.
MAIN = {"no_health_handler": "health_check"}
EXPECTED_LINE: dict[str, tuple[str, str]] = {
    "type_error": (CONTROLLER, "const broken"),
    "missing_handler_for_called_pattern": (CONTROLLER, "export class OrdersController"),
    "no_health_handler": (CONTROLLER, "export class OrdersController"),
    "syntax_error": (CONTROLLER, "service: 'orders' ;"),
    "client_calls_missing_pattern": (CATALOG_CLIENT, "'catalog.lookup'"),
}


@pytest.fixture(scope="module")
def orders_spec() -> ServiceSpec:
    raw = shop()
    return build_service_spec(parse_graph(raw).graph, node_id(raw, "orders"), "shop")


@pytest.fixture(scope="module")
def corpus(orders_spec: ServiceSpec) -> dict[str, tuple[Files, ValidationResult]]:
    bundles: dict[str, Files] = {}
    for name, case in CASES.items():
        files = {f.path: f.content for f in render_service(orders_spec)}
        case.mutate(files)
        bundles[name] = files
    as_files = {
        name: [GeneratedFile(path=p, content=c) for p, c in sorted(files.items())]
        for name, files in bundles.items()
    }
    checker = TypeScriptChecker.from_settings(get_settings())
    reports = checker.check_many(as_files)
    return {
        name: (bundles[name], combine(orders_spec, as_files[name], reports[name])) for name in CASES
    }


def failed_levels(result: ValidationResult) -> set[str]:
    wire = result.model_dump()
    return {level for level in LEVELS if wire[f"{level}_passed"] is False}


@pytest.mark.parametrize("name", list(CASES))
def test_each_bundle_fails_exactly_the_right_level(
    name: str, corpus: dict[str, tuple[Files, ValidationResult]]
) -> None:
    files, result = corpus[name]
    case = CASES[name]
    assert result.typescript_passed is not None, "the compiler must have run"
    assert failed_levels(result) == case.failed, [e.model_dump() for e in result.errors]
    if not case.failed:
        assert result.errors == []
        return
    main = MAIN.get(name, min(case.failed - {"build"}))
    first = next(e for e in result.errors if e.level.value == main)
    assert first.file == case.file, first
    if name in EXPECTED_LINE:
        path, needle = EXPECTED_LINE[name]
        assert first.line == _line_of(files, path, needle), first
    elif case.line is not None:
        assert first.line == case.line, first
