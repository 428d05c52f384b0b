"""The typescript and build levels against the real pinned toolchain (node + npm needed).

The toolchain installs once into CODEGEN_TOOLCHAIN_DIR (or the default cache directory), so
repeated runs and CI reuse it.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from codegen_tasks.checks.static import toolchain as toolchain_module
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.tsc import OUR_OPTIONS
from codegen_tasks.checks.static.tsconfig import sanitise
from codegen_tasks.checks.static.typescript import TypeScriptChecker, TypeScriptReport
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.platform import load_platform
from codegen_tasks.settings import Settings
from tests.unit.test_scaffold import edge_case_specs, shop_specs

pytestmark = pytest.mark.integration

SHOP = {name: render_service(spec) for name, spec in shop_specs().items()}
EDGE = {name: render_service(spec) for name, spec in edge_case_specs().items()}
BASE = SHOP["catalog"]


@pytest.fixture(scope="module")
def checker() -> TypeScriptChecker:
    settings = Settings(_env_file=None)  # reads CODEGEN_TOOLCHAIN_DIR
    checker = TypeScriptChecker.from_settings(settings)
    checker.toolchain.ensure()
    return checker


def with_file(path: str, text: str, files: list[GeneratedFile] = BASE) -> list[GeneratedFile]:
    return [*(f for f in files if f.path != path), GeneratedFile(path=path, content=text)]


def where(report: TypeScriptReport) -> list[tuple[str | None, int]]:
    return [(f.file, f.line) for f in report.typescript]


def assert_clean(report: TypeScriptReport) -> None:
    assert report.skipped is None
    assert report.typescript == [] and report.build == []
    assert report.typescript_passed is True and report.build_passed is True


@pytest.mark.parametrize("name", sorted(SHOP))
def test_every_shop_service_compiles_cleanly(checker: TypeScriptChecker, name: str) -> None:
    assert_clean(checker.check(SHOP[name]))


@pytest.mark.parametrize("name", sorted(EDGE))
def test_edge_case_services_compile_cleanly(checker: TypeScriptChecker, name: str) -> None:
    assert_clean(checker.check(EDGE[name]))


def test_a_type_error_is_located(checker: TypeScriptChecker) -> None:
    source = "export const count: number = 1;\n\nexport const label: string = count;\n"
    report = checker.check(with_file("src/catalog/broken.ts", source))
    assert where(report) == [("src/catalog/broken.ts", 3)]
    assert report.typescript[0].message.startswith("TS2322:")
    assert report.typescript_passed is False and report.build_passed is False
    [build] = report.build  # refers to the typescript error instead of repeating it
    assert (build.file, build.line) == (
        None,
        0,
    ) and "1 error(s), listed under typescript" in build.message


def test_a_type_error_in_generated_code_is_located(checker: TypeScriptChecker) -> None:
    path = "src/catalog/catalog.service.ts"
    original = next(f.content for f in BASE if f.path == path)
    broken = original.replace("{ items, total, offset", "{ items, total: String(total), offset")
    line = next(i for i, text in enumerate(broken.splitlines(), 1) if "String(total)" in text)
    report = checker.check(with_file(path, broken))
    assert where(report) == [(path, line)]


def test_a_syntax_error_is_located(checker: TypeScriptChecker) -> None:
    source = "export function f(a: number {\n  return a;\n}\n"
    report = checker.check(with_file("src/catalog/syntax.ts", source))
    assert report.typescript and all(f.file == "src/catalog/syntax.ts" for f in report.typescript)
    assert report.typescript[0].line == 1
    assert report.typescript[0].message.startswith("TS1005:")


@pytest.mark.parametrize(
    ("specifier", "code"), [("./nowhere", "TS2307"), ("@nestjs/websockets", "TS2307")]
)
def test_a_wrong_import_is_located(checker: TypeScriptChecker, specifier: str, code: str) -> None:
    source = f"// header\nimport {{ Missing }} from '{specifier}';\n\nexport const m = Missing;\n"
    report = checker.check(with_file("src/catalog/imports.ts", source))
    assert where(report) == [("src/catalog/imports.ts", 2)]
    assert (
        report.typescript[0].message.startswith(code) and specifier in report.typescript[0].message
    )


def test_a_wrong_named_import_is_located(checker: TypeScriptChecker) -> None:
    source = (
        "import { NoSuchDecorator } from '@nestjs/common';\n\nexport const d = NoSuchDecorator;\n"
    )
    report = checker.check(with_file("src/catalog/named.ts", source))
    assert where(report) == [("src/catalog/named.ts", 1)]
    assert report.typescript[0].message.startswith("TS2305:")


LOOSE = json.dumps(
    {
        "compilerOptions": {
            "strict": False,
            "noImplicitAny": False,
            "experimentalDecorators": True,
            "emitDecoratorMetadata": True,
        }
    }
)
UNTYPED = "export function twice(x) {\n  return x * 2;\n}\n"


def test_the_bundle_tsconfig_decides_and_strict_mode_is_a_warning(
    checker: TypeScriptChecker,
) -> None:
    files = with_file("src/catalog/loose.ts", UNTYPED, with_file("tsconfig.json", LOOSE))
    report = checker.check(files)
    assert report.typescript == [] and report.build == []
    [strict] = [w for w in report.warnings if "strict mode" in w.message]
    assert (strict.file, strict.line) == ("src/catalog/loose.ts", 1)
    assert "TS7006" in strict.message


def test_strict_mode_is_an_error_when_the_operator_asks(checker: TypeScriptChecker) -> None:
    strict = TypeScriptChecker(checker.toolchain, strict_is_error=True)
    files = with_file("src/catalog/loose.ts", UNTYPED, with_file("tsconfig.json", LOOSE))
    report = strict.check(files)
    assert where(report) == [("src/catalog/loose.ts", 1)]
    assert report.build_passed is True  # the bundle still builds with its own config


def test_base_url_and_paths_are_honoured_inside_the_bundle(checker: TypeScriptChecker) -> None:
    config = {
        "compilerOptions": {
            "baseUrl": "./",
            "paths": {"@shared/*": ["src/shared/*"], "@out/*": ["../../outside/*"]},
            "strict": True,
            "experimentalDecorators": True,
            "emitDecoratorMetadata": True,
            "moduleResolution": "node",
            "target": "es5",
            "lib": ["ES2021"],
        }
    }
    files = with_file("tsconfig.json", json.dumps(config))
    files = with_file(
        "src/shared/math.ts", "export const double = (n: number): number => n * 2;\n", files
    )
    user = (
        "import { double } from '@shared/math';\n"
        "import { CatalogModule } from 'src/catalog/catalog.module';\n"
        "export const four: number = double(2);\nexport { CatalogModule };\n"
    )
    report = checker.check(with_file("src/catalog/user.ts", user, files))
    assert report.typescript == [] and report.build == []
    [changes] = [w for w in report.warnings if "sanitised" in w.message]
    for word in ("baseUrl", "outside the bundle", "moduleResolution", "target"):
        assert word in changes.message


def test_no_sources_is_a_finding(checker: TypeScriptChecker) -> None:
    report = checker.check([f for f in BASE if not f.path.endswith(".ts")])
    assert report.typescript_passed is False and report.build_passed is False


def test_check_many_gives_the_same_verdicts_as_check(checker: TypeScriptChecker) -> None:
    bundles: dict[str, list[GeneratedFile]] = {
        **SHOP,
        "type-error": with_file("src/catalog/b.ts", "export const n: number = 'x';\n"),
        "syntax-error": with_file("src/catalog/s.ts", "export const = ;\n"),
        "bad-import": with_file("src/catalog/i.ts", "export * from './gone';\n"),
        # out of its folder into where a sibling bundle sits in a shared run: finds nothing
        "reaches-sibling": with_file("src/catalog/r.ts", "export * from '../../../b1/src/main';\n"),
        "script": with_file("src/catalog/g.ts", "const shared = 1;\n"),
        "script-too": with_file("src/catalog/g.ts", "const shared = 2;\n"),
        # loose bundles: their own options and our strict policy, programs of one run
        "loose": with_file("src/catalog/loose.ts", UNTYPED, with_file("tsconfig.json", LOOSE)),
        "loose-error": with_file(
            "src/catalog/b.ts",
            "export const n: number = 'x';\n",
            with_file("src/catalog/loose.ts", UNTYPED, with_file("tsconfig.json", LOOSE)),
        ),
        "loose-syntax": with_file(
            "src/catalog/s.ts", "export const = ;\n", with_file("tsconfig.json", LOOSE)
        ),
    }
    together = checker.check_many(bundles)
    assert list(together) == list(bundles)
    for name, files in bundles.items():
        alone = checker.check(files)
        assert _verdict(together[name]) == _verdict(alone), name
    assert [n for n, r in together.items() if r.typescript] == [
        "type-error",
        "syntax-error",
        "bad-import",
        "reaches-sibling",
        "loose-error",
        "loose-syntax",
    ]
    assert [n for n, r in together.items() if _strict_warnings(r)] == ["loose"]


def _strict_warnings(report: TypeScriptReport) -> list[str]:
    return [w.message for w in report.warnings if "strict mode" in w.message]


def _verdict(report: TypeScriptReport) -> tuple[object, ...]:
    return (
        report.typescript_passed,
        report.build_passed,
        sorted((f.file or "", f.line, f.message) for f in report.typescript),
        sorted((f.file or "", f.line) for f in report.build),
        _strict_warnings(report),
    )


def test_a_timeout_becomes_a_finding(checker: TypeScriptChecker) -> None:
    hasty = TypeScriptChecker(checker.toolchain, timeout_s=0.001)
    report = hasty.check(BASE)
    assert report.typescript_passed is False
    assert "timed out" in report.typescript[0].message


def test_a_missing_toolchain_skips_the_levels(tmp_path: Path) -> None:
    broken = Toolchain(tmp_path / "toolchain", npm="no-such-npm-binary")
    report = TypeScriptChecker(broken).check(BASE)
    assert report.skipped is not None and "npm" in report.skipped
    assert report.typescript_passed is None and report.build_passed is None


def test_concurrent_installs_run_npm_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    real: Callable[[str, Path, float], None] = toolchain_module._run_npm

    def counting(npm: str, cwd: Path, timeout_s: float) -> None:
        calls.append(cwd)
        real(npm, cwd, timeout_s)

    monkeypatch.setattr(toolchain_module, "_run_npm", counting)
    root = tmp_path / "toolchain"
    chains = [Toolchain(root) for _ in range(3)]
    threads = [threading.Thread(target=chain.ensure) for chain in chains]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert all(chain.is_ready() for chain in chains)
    assert chains[0].install_dir.name == f"ts-{load_platform().digest()}"
    assert sorted(p.name for p in root.iterdir() if p.is_dir()) == [chains[0].install_dir.name]


def test_bundled_node_modules_cannot_shadow_the_typings(checker: TypeScriptChecker) -> None:
    fake = "export declare const Anything: any;\n"
    source = "import { Anything } from '@nestjs/common';\n\nexport const a = Anything;\n"
    files = with_file("src/catalog/shadow.ts", source)
    files = with_file("node_modules/@nestjs/common/index.d.ts", fake, files)
    report = checker.check(files)
    assert ("node_modules/@nestjs/common/index.d.ts", 0) in where(report)
    assert ("src/catalog/shadow.ts", 1) in where(report)  # compiled against the real typings


def test_the_native_compiler_runs_without_node(checker: TypeScriptChecker) -> None:
    command = checker.toolchain.tsc_command()
    assert command == [str(checker.toolchain.tsc)]
    assert "@typescript" in command[0]
    done = subprocess.run([*command, "--version"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == f"Version {load_platform().versions['typescript']}"


def test_the_compiler_emits_commonjs_with_decorator_metadata(
    checker: TypeScriptChecker, tmp_path: Path
) -> None:
    """What `node dist/main.js` needs: CommonJS output with Nest's design-time metadata."""
    for file in SHOP["orders"]:
        target = tmp_path / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(file.content)
    (tmp_path / "node_modules").symlink_to(checker.toolchain.node_modules)
    own = sanitise({f.path: f.content for f in SHOP["orders"]}, load_platform().versions).options
    config = {"compilerOptions": {**own, **OUR_OPTIONS, "outDir": "dist"}, "include": ["src"]}
    (tmp_path / "tsconfig.build.json").write_text(json.dumps(config))
    command = [*checker.toolchain.tsc_command(), "-p", "tsconfig.build.json"]
    subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=True)
    main = (tmp_path / "dist/src/main.js").read_text()
    assert '"use strict"' in main and "require(" in main
    emitted = [p.read_text() for p in (tmp_path / "dist").rglob("*.controller.js")]
    assert emitted and all('__metadata("design:paramtypes"' in js for js in emitted)
