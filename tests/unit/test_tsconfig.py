"""The bundle's tsconfig, sanitised: paths stay inside the bundle and both TypeScript 5.9 and 7
accept the result; every change that can alter a verdict is listed."""

from __future__ import annotations

import json

from codegen_tasks.checks.static.tsconfig import sanitise, selected

PLATFORM = {"@types/node", "@nestjs/common", "typeorm"}


def config(**options: object) -> str:
    return json.dumps({"compilerOptions": options})


def test_base_url_becomes_paths_relative_to_the_bundle() -> None:
    found = sanitise(
        {"tsconfig.json": config(baseUrl="./src", paths={"@app/*": ["app/*"], "@x": ["../../x"]})},
        PLATFORM,
    )
    assert "baseUrl" not in found.options
    assert found.paths == {"@app/*": ["./src/app/*"], "*": ["./src/*"]}
    assert any("baseUrl" in c for c in found.changes)
    assert any("'@x'" in c and "outside the bundle" in c for c in found.changes)


def test_paths_without_base_url_are_relative_to_their_config() -> None:
    files = {
        "tsconfig.json": json.dumps({"extends": "./configs/base.json"}),
        "configs/base.json": config(paths={"@lib/*": ["../libs/*"]}, strict=True),
    }
    found = sanitise(files, PLATFORM)
    assert found.paths == {"@lib/*": ["./libs/*"]}
    assert found.options["strict"] is True and found.is_strict


def test_options_typescript_7_removed_are_mapped() -> None:
    raw = config(
        target="es5",
        moduleResolution="node",
        esModuleInterop=False,
        importsNotUsedAsValues="remove",
        outDir="./dist",
        incremental=True,
    )
    found = sanitise({"tsconfig.json": raw}, PLATFORM)
    options = found.options
    assert options["target"] == "ES2021" and options["esModuleInterop"] is True
    assert "moduleResolution" not in options and "importsNotUsedAsValues" not in options
    assert "outDir" not in options and "incremental" not in options  # emit is ours
    assert len(found.changes) == 4


def test_unset_strict_means_what_typescript_5_meant() -> None:
    found = sanitise({"tsconfig.json": config(noImplicitAny=False)}, PLATFORM)
    assert found.options["strict"] is False and not found.is_strict
    assert found.strict_options()["strict"] is True
    assert "noImplicitAny" not in found.strict_options()


def test_types_and_type_roots_never_leave_the_platform() -> None:
    raw = config(types=["node", "jest"], typeRoots=["../../types", "./node_modules/@types"])
    found = sanitise({"tsconfig.json": raw}, PLATFORM)
    assert found.options["types"] == ["node"] and "typeRoots" not in found.options
    assert any("jest" in c for c in found.changes)


def test_an_extends_outside_the_bundle_is_reported() -> None:
    found = sanitise({"tsconfig.json": json.dumps({"extends": "@tsconfig/node20"})}, PLATFORM)
    assert any("@tsconfig/node20" in c for c in found.changes)


def test_the_nest_cli_build_config_and_monorepo_projects_are_used() -> None:
    cli = {
        "compilerOptions": {"tsConfigPath": "apps/a/tsconfig.app.json"},
        "projects": {
            "a": {"compilerOptions": {"tsConfigPath": "apps/a/tsconfig.app.json"}},
            "b": {"compilerOptions": {"tsConfigPath": "apps/b/tsconfig.app.json"}},
        },
    }
    app = json.dumps({"extends": "../../tsconfig.json", "include": ["src/**/*"]})
    files = {
        "nest-cli.json": json.dumps(cli),
        "tsconfig.json": config(strict=True),
        "apps/a/tsconfig.app.json": app,
        "apps/b/tsconfig.app.json": app,
    }
    found = sanitise(files, PLATFORM)
    assert found.source == "apps/a/tsconfig.app.json"
    assert found.include == ["apps/a/src/**/*", "apps/b/src/**/*"]
    assert selected(found, "apps/b/src/main.ts")
    assert not selected(found, "apps/b/src/main.spec.ts") and not selected(found, "x.ts")


def test_tests_and_build_output_are_not_compiled() -> None:
    found = sanitise({"tsconfig.json": config()}, PLATFORM)
    assert selected(found, "src/main.ts") and selected(found, "drizzle.config.ts")
    for path in ("test/app.e2e-spec.ts", "dist/main.ts", "src/a.spec.ts", "src/types.d.ts"):
        assert not selected(found, path), path
