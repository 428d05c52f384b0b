"""The TypeScript import reader: every form, its line and kind, bare versus relative."""

from __future__ import annotations

import pytest

from codegen_tasks.checks.contracts.imports import file_imports, package_name

SOURCE = """// import 'commented-out';
import 'dotenv/config';
import type { A } from './a';
import {
  B,
} from "../b";
import x = require('fs');
export * from './c';
export { d } from '@scope/d/sub';
const e = require('e');
const f = await import('./f');
const g = `import 'not-an-import'`;
declare module 'ambient' {}
"""


def test_every_import_form_is_read_with_its_line_and_kind() -> None:
    found = [(i.specifier, i.kind, i.line, i.type_only) for i in file_imports("src/x.ts", SOURCE)]
    assert found == [
        ("dotenv/config", "side-effect", 2, False),
        ("./a", "import", 3, True),
        ("../b", "import", 4, False),
        ("fs", "require", 7, False),
        ("./c", "export", 8, False),
        ("@scope/d/sub", "export", 9, False),
        ("e", "require", 10, False),
        ("./f", "dynamic", 11, False),
    ]


@pytest.mark.parametrize(
    ("specifier", "package"),
    [
        ("@nestjs/common", "@nestjs/common"),
        ("@nestjs/microservices/external/kafka.interface", "@nestjs/microservices"),
        ("lodash/fp", "lodash"),
        (".prisma/client", ".prisma"),  # a bare package, not a relative path
        ("./local", None),
        ("..", None),
        ("node:fs", None),
        ("crypto", None),
        ("/abs/path", None),
    ],
)
def test_package_names(specifier: str, package: str | None) -> None:
    assert package_name(specifier) == package


@pytest.mark.timeout(10)
def test_hostile_sources_are_read_quickly() -> None:
    for text in ("import " + " " * 300_000, "import {" + "a, " * 100_000, "from " * 100_000):
        file_imports("src/x.ts", text)
    many = "import { a } from './x';\n" * 20_000
    assert len(file_imports("src/x.ts", many)) == 20_000
