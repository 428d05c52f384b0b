"""The structural level: a good bundle passes; each broken variant names the file (and line)."""

from __future__ import annotations

import json

import pytest

from codegen_tasks.files import GeneratedFile
from codegen_tasks.messages import Finding, ValidationLevel
from codegen_tasks.scaffold import render_service
from codegen_tasks.validation.structural import (
    parse_jsonc,
    relative_imports,
    resolve_import,
    strip_comments,
    structural_findings,
)
from tests.unit.test_scaffold import shop_specs

GOOD = render_service(shop_specs()["orders"])
GATEWAY = render_service(shop_specs()["api-gateway"])


def replaced(files: list[GeneratedFile], path: str, content: str | None) -> list[GeneratedFile]:
    """The bundle with `path` replaced (or removed when content is None)."""
    kept = [f for f in files if f.path != path]
    return kept if content is None else [*kept, GeneratedFile(path=path, content=content)]


def content(files: list[GeneratedFile], path: str) -> str:
    return next(f.content for f in files if f.path == path)


def located(findings: list[Finding]) -> list[tuple[str | None, int]]:
    return [(f.file, f.line) for f in findings]


def test_the_scaffold_passes() -> None:
    assert structural_findings(GOOD) == []
    assert structural_findings(GATEWAY) == []


@pytest.mark.parametrize(
    "path", ["package.json", "tsconfig.json", "src/main.ts", "src/app.module.ts"]
)
def test_a_missing_required_file_is_named_with_line_zero(path: str) -> None:
    findings = structural_findings(replaced(GOOD, path, None))
    assert (path, 0) in located(findings)
    assert all(f.level is ValidationLevel.STRUCTURAL for f in findings)
    assert any("missing" in f.message for f in findings if f.file == path)


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
    assert located(findings) == [("src/app.module.ts", 1)]
    assert "@Module" in findings[0].message


def test_app_module_must_import_a_feature_module() -> None:
    text = "import { Module } from '@nestjs/common';\n\n@Module({})\nexport class AppModule {}\n"
    findings = structural_findings(replaced(GOOD, "src/app.module.ts", text))
    assert located(findings) == [("src/app.module.ts", 3)]
    assert "feature module" in findings[0].message


def test_no_feature_module_in_the_bundle_fails() -> None:
    files = replaced(GOOD, "src/orders/orders.module.ts", None)
    findings = structural_findings(files)
    assert ("src/app.module.ts", 4) in located(findings)  # the @Module line
    assert ("src/app.module.ts", 2) in located(findings)  # the import that no longer resolves


def test_unresolved_relative_imports_are_located() -> None:
    service = content(GOOD, "src/orders/orders.service.ts")
    broken = service.replace("'../clients/catalog.client'", "'../clients/katalog.client'")
    findings = structural_findings(replaced(GOOD, "src/orders/orders.service.ts", broken))
    line = next(i for i, t in enumerate(broken.splitlines(), 1) if "katalog" in t)
    assert located(findings) == [("src/orders/orders.service.ts", line)]
    assert "'../clients/katalog.client'" in findings[0].message


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


def test_every_import_form_is_found_with_its_line() -> None:
    code = (
        "const a = 1;\nimport {\n  b,\n} from '../y';\n"
        "require('./z'); import('./w');\nimport './s';\n"
    )
    assert relative_imports(code) == [("../y", 4), ("./z", 5), ("./w", 5), ("./s", 6)]


@pytest.mark.timeout(10)
def test_hostile_sources_are_scanned_in_linear_time() -> None:
    for text in ("import " + " " * 300_000, "import {" + "a, " * 100_000, "from " * 100_000):
        assert relative_imports(strip_comments(text)) == []
    many = "import { a } from './x';\n" * 20_000
    assert len(relative_imports(many)) == 20_000
