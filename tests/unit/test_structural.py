"""The structural level: a good bundle passes; each broken variant names the file (and line)."""

from __future__ import annotations

import json

import pytest

from codegen_tasks.checks.contracts.imports import resolve_import
from codegen_tasks.checks.static.jsonc import parse_jsonc, strip_comments
from codegen_tasks.checks.static.structural import structural_check, structural_findings
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, LevelFindings, ValidationLevel
from codegen_tasks.generation.scaffold import render_service
from tests.unit.test_scaffold import shop_specs

GOOD = render_service(shop_specs()["orders"])
GATEWAY = render_service(shop_specs()["api-gateway"])


def replaced(files: list[GeneratedFile], path: str, content: str | None) -> list[GeneratedFile]:
    """The bundle with `path` replaced (or removed when content is None)."""
    kept = [f for f in files if f.path != path]
    return kept if content is None else [*kept, GeneratedFile(path=path, content=content)]


def content(files: list[GeneratedFile], path: str) -> str:
    return next(f.content for f in files if f.path == path)


def line_of(files: list[GeneratedFile], path: str, needle: str) -> int:
    return next(i for i, t in enumerate(content(files, path).splitlines(), 1) if needle in t)


def located(findings: list[Finding]) -> list[tuple[str | None, int]]:
    return [(f.file, f.line) for f in findings]


def test_the_scaffold_passes_without_warnings() -> None:
    assert structural_check(GOOD) == structural_check(GATEWAY) == LevelFindings()


@pytest.mark.parametrize("path", ["package.json", "tsconfig.json", "src/main.ts"])
def test_a_missing_required_file_is_named_with_line_zero(path: str) -> None:
    findings = structural_findings(replaced(GOOD, path, None))
    assert (path, 0) in located(findings)
    assert all(f.level is ValidationLevel.STRUCTURAL for f in findings)
    assert any("missing" in f.message for f in findings if f.file == path)


def test_a_missing_root_module_is_the_import_that_does_not_resolve() -> None:
    report = structural_check(replaced(GOOD, "src/app.module.ts", None))
    assert located(report.errors) == [("src/main.ts", line_of(GOOD, "src/main.ts", "./app.module"))]
    assert "cannot be located" in report.warnings[0].message


def test_invalid_package_json_reports_the_line() -> None:
    broken = '{\n  "name": "orders",\n  "version": 1.0.0\n}\n'
    findings = structural_findings(replaced(GOOD, "package.json", broken))
    assert located(findings) == [("package.json", 3)]
    assert "not valid JSON" in findings[0].message


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ("[1, 2]", "must be a JSON object"),
        (json.dumps({"version": "1.0.0"}), "no package name"),
        (json.dumps({"name": "  ", "dependencies": {}}), "no package name"),
    ],
)
def test_package_json_must_be_an_object_with_a_name(manifest: str, expected: str) -> None:
    findings = structural_findings(replaced(GOOD, "package.json", manifest))
    assert any(expected in f.message and f.file == "package.json" for f in findings)


def test_package_json_must_depend_on_nest_microservices() -> None:
    manifest = json.loads(content(GOOD, "package.json"))
    del manifest["dependencies"]["@nestjs/microservices"]
    text = json.dumps(manifest, indent=2)
    findings = structural_findings(replaced(GOOD, "package.json", text))
    line = text.splitlines().index('  "dependencies": {') + 1
    assert located(findings) == [("package.json", line)]
    assert "@nestjs/microservices" in findings[0].message


def test_tsconfig_may_have_comments_and_trailing_commas() -> None:
    tsconfig = '{\n  // options\n  "compilerOptions": { "strict": true, },\n  /* done */\n}\n'
    assert structural_findings(replaced(GOOD, "tsconfig.json", tsconfig)) == []
    assert parse_jsonc(tsconfig) == {"compilerOptions": {"strict": True}}


def test_a_broken_tsconfig_is_reported() -> None:
    findings = structural_findings(replaced(GOOD, "tsconfig.json", '{\n  "compilerOptions": {\n'))
    assert [f.file for f in findings] == ["tsconfig.json"]


def test_main_without_a_bootstrap_fails() -> None:
    main = "// NestFactory.createMicroservice(AppModule)\nexport const x = 1;\n"
    findings = structural_findings(replaced(GOOD, "src/main.ts", main))
    assert located(findings) == [("src/main.ts", 1)]
    assert "does not bootstrap" in findings[0].message


def test_an_http_app_must_connect_a_microservice() -> None:
    main = content(GATEWAY, "src/main.ts").replace("app.connectMicroservice", "app.useLogger")
    findings = structural_findings(replaced(GATEWAY, "src/main.ts", main))
    line = main.splitlines().index("  const app = await NestFactory.create(AppModule);") + 1
    assert located(findings) == [("src/main.ts", line)]
    assert "connectMicroservice" in findings[0].message


def test_app_module_without_module_decorator_fails() -> None:
    text = "import { OrdersModule } from './orders/orders.module';\nexport class AppModule {}\n"
    findings = structural_findings(replaced(GOOD, "src/app.module.ts", text))
    assert located(findings) == [("src/app.module.ts", 2)]
    assert "@Module" in findings[0].message


def test_a_root_module_without_feature_modules_is_only_a_convention() -> None:
    text = "import { Module } from '@nestjs/common';\n\n@Module({})\nexport class AppModule {}\n"
    report = structural_check(replaced(GOOD, "src/app.module.ts", text))
    assert report.errors == []
    assert located(report.warnings) == [("src/app.module.ts", 4)]
    assert "feature module" in report.warnings[0].message


def test_the_root_module_is_what_nestfactory_gets() -> None:
    main = content(GOOD, "src/main.ts").replace("./app.module", "./core/root")
    main = main.replace("AppModule", "RootModule")
    module = content(GOOD, "src/app.module.ts").replace("AppModule", "RootModule")
    module = module.replace("from './", "from '../")
    files = replaced(replaced(GOOD, "src/app.module.ts", None), "src/main.ts", main)
    report = structural_check([*files, GeneratedFile(path="src/core/root.ts", content=module)])
    assert report.errors == []
    assert [w.file for w in report.warnings] == ["src/core/root.ts"]  # not *.module.ts
    assert "RootModule" in report.warnings[0].message


def test_the_entry_point_comes_from_package_json_main() -> None:
    manifest = json.loads(content(GOOD, "package.json"))
    manifest["main"] = "dist/server.js"
    files = replaced(GOOD, "package.json", json.dumps(manifest))
    files = replaced(files, "src/main.ts", None)
    assert structural_findings(files) != []
    moved = [*files, GeneratedFile(path="src/server.ts", content=content(GOOD, "src/main.ts"))]
    assert structural_findings(moved) == []


def test_the_entry_points_come_from_nest_cli_json() -> None:
    cli = {
        "monorepo": True,
        "projects": {
            "orders": {"type": "application", "root": "apps/orders", "entryFile": "main"},
            "shared": {"type": "library", "root": "libs/shared"},
        },
    }
    files = [
        GeneratedFile(
            path=f"apps/orders/{f.path}" if f.path.startswith("src/") else f.path, content=f.content
        )
        for f in GOOD
    ]
    files.append(GeneratedFile(path="nest-cli.json", content=json.dumps(cli)))
    assert structural_findings(files) == []
    cli["projects"]["orders"]["entryFile"] = "server"  # type: ignore[index]
    files[-1] = GeneratedFile(path="nest-cli.json", content=json.dumps(cli))
    assert located(structural_findings(files)) == [("apps/orders/src/server.ts", 0)]


def test_a_bootstrap_in_an_imported_file_counts() -> None:
    main = "import { bootstrap } from './bootstrap';\n\nvoid bootstrap();\n"
    moved = content(GOOD, "src/main.ts").replace("void bootstrap();", "")
    moved = moved.replace("async function bootstrap", "export async function bootstrap")
    files = replaced(GOOD, "src/main.ts", main)
    assert (
        structural_findings([*files, GeneratedFile(path="src/bootstrap.ts", content=moved)]) == []
    )


def test_unresolved_relative_imports_are_located() -> None:
    service = content(GOOD, "src/orders/orders.service.ts")
    broken = service.replace("'../clients/catalog.client'", "'../clients/katalog.client'")
    findings = structural_findings(replaced(GOOD, "src/orders/orders.service.ts", broken))
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "katalog" in t)
    assert located(findings) == [("src/orders/orders.service.ts", line)]
    assert "'../clients/katalog.client'" in findings[0].message


@pytest.mark.parametrize(
    ("code", "package"),
    [
        ("import 'dotenv/config';\n", "dotenv"),
        ("const x = require('lodash');\nexport { x };\n", "lodash"),
        ("export * from '@acme/shared/dto';\n", "@acme/shared"),
        ("import type { Foo } from 'foo';\nexport type F = Foo;\n", "foo"),
    ],
)
def test_bare_imports_need_a_declared_package(code: str, package: str) -> None:
    findings = structural_findings([*GOOD, GeneratedFile(path="src/extra.ts", content=code)])
    assert [(f.file, f.line) for f in findings] == [("src/extra.ts", 1)]
    assert package in findings[0].message


@pytest.mark.parametrize(
    "code",
    [
        "import { PrismaClient } from '.prisma/client';\nexport { PrismaClient };\n",
        "import * as fs from 'node:fs';\nimport { join } from 'path';\nexport { fs, join };\n",
        "import { Shared } from '@app/shared';\nexport { Shared };\n",
        "import { OrdersModule } from 'src/orders/orders.module';\nexport { OrdersModule };\n",
        "// import 'dotenv/config';\nexport const s = \"import 'x'\";\n",
    ],
)
def test_bare_imports_the_bundle_provides_are_fine(code: str) -> None:
    tsconfig = {"compilerOptions": {"baseUrl": "./", "paths": {"@app/shared": ["src/shared"]}}}
    manifest = json.loads(content(GOOD, "package.json"))
    manifest["dependencies"]["@prisma/client"] = "6.0.0"
    files = replaced(GOOD, "tsconfig.json", json.dumps(tsconfig))
    files = replaced(files, "package.json", json.dumps(manifest))
    files += [
        GeneratedFile(path="src/extra.ts", content=code),
        GeneratedFile(path="src/shared/index.ts", content="export class Shared {}\n"),
    ]
    assert structural_findings(files) == []


def test_import_resolution_rules() -> None:
    paths = {"src/a.ts", "src/b/index.ts", "src/c.json", "src/d.d.ts"}
    assert resolve_import("src/main.ts", "./a", paths) == "src/a.ts"
    assert resolve_import("src/main.ts", "./a.js", paths) == "src/a.ts"
    assert resolve_import("src/main.ts", "./b", paths) == "src/b/index.ts"
    assert resolve_import("src/main.ts", "./c.json", paths) == "src/c.json"
    assert resolve_import("src/main.ts", "./d", paths) == "src/d.d.ts"
    assert resolve_import("src/main.ts", "../../etc/passwd", paths) is None
    assert resolve_import("src/main.ts", "./e", paths) is None


def test_comment_stripping_keeps_strings_and_lines() -> None:
    source = "const a = '// not a comment'; // gone\n/* gone\n gone */ const b = \"/*\";\n"
    stripped = strip_comments(source)
    assert "'// not a comment'" in stripped and '"/*"' in stripped
    assert "gone" not in stripped
    assert stripped.count("\n") == source.count("\n")
