"""The dependency platform, its import rule and the feedback loop's view of it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from codegen_tasks.adapters.llm.memory import ScriptedLLM
from codegen_tasks.checks.static.imports import platform_import_findings
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import ServiceStatus, ValidationLevel
from codegen_tasks.errors import ToolchainError
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.platform import load_platform, persistence_for
from codegen_tasks.ports.llm import CompletionRequest
from codegen_tasks.testing.echo import scaffold_answer
from tests.drive import run_project
from tests.fixtures.platform_graph import STORES, platform_specs
from tests.unit.conftest import MakeDeps
from tests.unit.test_pipeline import payload
from tests.unit.test_scaffold import SPECS

PLATFORM = load_platform()
FIXTURE = platform_specs()
FIX_ASK = "The compiler and validator found these errors"


def with_source(files: list[GeneratedFile], path: str, content: str) -> list[GeneratedFile]:
    return [*(f for f in files if f.path != path), GeneratedFile(path=path, content=content)]


def test_every_package_is_pinned_exactly() -> None:
    for package, version in PLATFORM.versions.items():
        assert version[0].isdigit() and not any(c in version for c in "^~<>*| "), package
    roles = [*PLATFORM.development, *PLATFORM.base, *PLATFORM.http, *PLATFORM.libraries]
    roles += [p for orms in PLATFORM.databases.values() for ps in orms.values() for p in ps]
    assert sorted(set(roles)) == sorted(PLATFORM.versions)
    assert PLATFORM.versions["pg"] == PLATFORM.versions["@types/pg"] == "8.23.1"


@pytest.mark.parametrize(
    ("database_type", "orm", "expected", "warned"),
    [
        ("postgresql", "drizzle", ("postgresql", "drizzle"), False),
        ("postgresql", None, ("postgresql", "drizzle"), False),
        ("PostgreSQL", "TypeORM", ("postgresql", "typeorm"), False),
        ("mysql", "typeorm", ("mysql", "typeorm"), False),
        ("mongodb", None, ("mongodb", "mongoose"), False),
        ("redis", None, ("redis", "ioredis"), False),
        ("postgresql", "prisma", ("postgresql", "drizzle"), True),
        ("mongodb", "drizzle", ("mongodb", "mongoose"), True),
        ("cassandra", None, ("postgresql", "drizzle"), True),
    ],
)
def test_persistence_follows_the_node(
    database_type: str, orm: str | None, expected: tuple[str, str], warned: bool
) -> None:
    chosen = persistence_for(PLATFORM, database_type, orm)
    assert (chosen.database_type, chosen.orm) == expected
    assert (chosen.warning is not None) == warned
    assert set(chosen.packages) <= set(PLATFORM.importable)


def test_extra_packages_are_allowed_but_may_not_repin() -> None:
    extended = load_platform({"zod": "3.25.76"})
    assert extended.importable["zod"] == "3.25.76" and extended.digest() != PLATFORM.digest()
    with pytest.raises(ToolchainError, match="rxjs"):
        load_platform({"rxjs": "7.0.0"})


@pytest.mark.parametrize("name", sorted(SPECS))
def test_scaffold_bundles_follow_the_rule(name: str) -> None:
    assert platform_import_findings(render_service(SPECS[name]), PLATFORM) == []


def test_imports_outside_the_platform_are_located_errors() -> None:
    from codegen_tasks.pipeline.check import combine

    files = render_service(SPECS["catalog"])
    code = (
        "import axios from 'axios';\n"
        "import { readFileSync } from 'node:fs';\n"
        "import { join } from 'path';\n"
        "import { eq } from 'drizzle-orm';\n"
        "export const use = [axios, readFileSync, join, eq];\n"
    )
    changed = with_source(files, "src/catalog/extra.ts", code)
    (finding,) = platform_import_findings(changed, PLATFORM)
    assert (finding.file, finding.line, finding.level) == (
        "src/catalog/extra.ts",
        1,
        ValidationLevel.STRUCTURAL,
    )
    assert "'axios' is not a package of the dependency platform" in finding.message
    assert "@nestjs/common" in finding.message and "drizzle-orm" in finding.message
    # with the undeclared-package rule: one error per import, the platform's for axios
    result = combine(SPECS["catalog"], changed, None)
    errors = sorted((e for e in result.errors if e.file == finding.file), key=lambda e: e.line)
    assert [e.line for e in errors] == [1, 4]
    assert errors[0] == finding and "drizzle-orm" in errors[1].message


def test_a_declared_package_must_carry_the_pinned_version() -> None:
    from codegen_tasks.pipeline.check import combine

    files = render_service(SPECS["catalog"])
    manifest = json.loads(next(f.content for f in files if f.path == "package.json"))
    manifest["dependencies"]["@nestjs/common"] = "11.0.0"
    findings = platform_import_findings(
        with_source(files, "package.json", json.dumps(manifest)), PLATFORM
    )
    assert findings and all('the platform pins exactly "11.2.10"' in f.message for f in findings)
    manifest["dependencies"]["@nestjs/common"] = "^11.0.0"
    ranged = with_source(files, "package.json", json.dumps(manifest))
    assert platform_import_findings(ranged, PLATFORM) == []
    assert combine(SPECS["catalog"], ranged, None).structural_passed is True


def _with_axios(request: CompletionRequest) -> str:
    answer = json.loads(scaffold_answer(request.model_dump()))
    for file in answer["files"]:
        if file["path"] == "src/main.ts":
            file["content"] = "import axios from 'axios';\n" + file["content"] + "void axios;\n"
    return json.dumps(answer)


def test_the_feedback_loop_re_asks_with_the_import_error(make_deps: MakeDeps) -> None:
    def model(request: CompletionRequest) -> str:
        if FIX_ASK in request.messages[-1].content:
            return scaffold_answer(request.model_dump())
        return _with_axios(request)

    llm = ScriptedLLM(model)
    result = run_project(make_deps(llm), payload())
    assert all(s.status is ServiceStatus.SUCCEEDED for s in result.services), result
    fixes = [c.messages[-1].content for c in llm.calls if FIX_ASK in c.messages[-1].content]
    assert len(fixes) == len(result.services)
    assert all("src/main.ts" in ask and "'axios' is not a package" in ask for ask in fixes)


def test_an_import_outside_the_platform_fails_the_service(make_deps: MakeDeps) -> None:
    deps = make_deps(ScriptedLLM(_with_axios), CODEGEN_FEEDBACK_ATTEMPTS=0)
    result = run_project(deps, payload())
    assert all(s.status is ServiceStatus.FAILED for s in result.services)
    first = result.services[0].validation
    assert first is not None and first.structural_passed is False
    assert any(
        "axios" in e.message and e.file == "src/main.ts" and e.line == 1 for e in first.errors
    )


def test_the_system_prompt_lists_the_platform_and_what_is_for_what() -> None:
    from codegen_tasks.generation.prompts import system_prompt

    prompt = system_prompt(load_platform({"zod": "3.25.76"}))
    for package, version in PLATFORM.importable.items():
        assert f"- {package}: {version}\n" in prompt
    assert "- zod: 3.25.76\n" in prompt
    assert "typescript: " not in prompt  # a development tool, not importable
    assert "- DATABASE postgresql with ORM drizzle (the default): drizzle-orm, pg\n" in prompt
    assert (
        "- DATABASE mongodb with ORM mongoose (the default): @nestjs/mongoose, mongoose" in prompt
    )
    assert "@nestjs/common, @nestjs/core, @nestjs/microservices, rxjs, reflect-metadata" not in (
        prompt
    )


def test_the_service_prompt_asks_for_persistence_and_events() -> None:
    from codegen_tasks.generation.prompts import build_service_prompt

    orders = build_service_prompt(SPECS["orders"])
    assert (
        "use: postgresql through drizzle (drizzle-orm, pg); connection URL in env ORDERS_DB_URL"
        in (orders)
    )
    assert "migration: migrations/orders.sql" in orders
    assert "emit 'notifications.ordersCreated'" in orders
    notifications = build_service_prompt(SPECS["notifications"])
    assert "- handle 'notifications.ordersCreated' with @EventPattern" in notifications


STORE_MODULES = {
    ("postgresql", "drizzle"): "from 'drizzle-orm/node-postgres'",
    ("mysql", "drizzle"): "from 'drizzle-orm/mysql2'",
    ("postgresql", "typeorm"): "type: 'postgres',",
    ("mysql", "typeorm"): "type: 'mysql',",
    ("mongodb", "mongoose"): "from 'mongoose'",
    ("redis", "ioredis"): "import Redis from 'ioredis';",
}


@pytest.mark.parametrize("name", sorted(STORES))
def test_each_database_node_gets_its_library(name: str) -> None:
    kind, orm, _ = STORES[name]
    chosen = persistence_for(PLATFORM, kind, orm)
    files = {f.path: f.content for f in render_service(FIXTURE[name])}
    repository = files[f"src/database/{name}-db.repository.ts"]
    assert STORE_MODULES[(chosen.database_type, chosen.orm)] in repository
    assert "new Map" not in repository
    assert f"process.env.{name.upper().replace('-', '_')}_DB_URL" in repository
    deps = json.loads(files["package.json"])["dependencies"]
    assert {p: deps.get(p) for p in chosen.packages} == PLATFORM.pins(chosen.packages)
    migrations = [p for p in files if p.startswith("migrations/")]
    assert migrations == ([f"migrations/{name.replace('-', '_')}.sql"] if chosen.is_sql else [])


def test_an_unknown_orm_is_a_recorded_warning() -> None:
    from codegen_tasks.pipeline.check import combine

    spec = FIXTURE["unknown-orm"]
    result = combine(spec, render_service(spec), None)
    messages = [w.message for w in result.warnings]
    assert any(
        "unknown ORM 'prisma' for postgresql: using the default drizzle" in m for m in messages
    )
    assert result.structural_passed is True


def test_operator_packages_are_installed_with_the_platform(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from codegen_tasks.checks.static.toolchain import Toolchain
    from codegen_tasks.settings import Settings

    monkeypatch.setenv("CODEGEN_TOOLCHAIN_DIR", str(tmp_path))
    monkeypatch.setenv("CODEGEN_PLATFORM_EXTRA_PACKAGES", json.dumps({"zod": "3.25.76"}))
    settings = Settings(_env_file=None)
    chain = Toolchain.from_settings(settings)
    assert chain.platform.install_manifest()["dependencies"]["zod"] == "3.25.76"
    assert chain.install_dir.name == f"ts-{load_platform({'zod': '3.25.76'}).digest()}"
    assert chain.install_dir != Toolchain(tmp_path).install_dir
