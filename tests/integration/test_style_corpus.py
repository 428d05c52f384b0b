"""The style corpus through `codegen validate --path` (a subprocess, the real compiler): every
correct style validates clean, and each style with one real defect fails with exactly one
finding, at the right level, file and line (build only refers to what fails tsc)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.corpus import LEVELS, STYLES, STYLES_DIR
from tests.fixtures.workers import clean_env, cli_json

pytestmark = pytest.mark.integration


@dataclass(frozen=True)
class Defect:
    file: str
    old: str
    new: str
    level: str  # the one level that reports it
    line_of: str  # text on the reported line (after the change)
    fails: tuple[str, ...]  # the levels that fail


DEFECTS: dict[str, Defect] = {
    "tcp-nest-new": Defect(
        "src/app.controller.ts",
        "  accumulate(@Payload() data: number[]): number {",
        "  accumulate(@Payload() data: number[]): string {",
        "typescript",
        "return this.appService.sum(data);",
        ("typescriptPassed", "buildPassed"),
    ),
    "redis-config-constants": Defect(
        "src/main.ts",
        "import 'dotenv/config';",
        "import 'dotenv-flow/config';",
        "structural",
        "import 'dotenv-flow/config';",
        ("structuralPassed",),
    ),
    "rmq-typeorm-hybrid": Defect(
        "src/main.ts",
        "  app.connectMicroservice<MicroserviceOptions>({",
        "  app.useLogger(false);\n  void ({",
        "structural",
        "NestFactory.create(AppModule)",
        ("structuralPassed",),
    ),
    "kafka-mongoose": Defect(
        "src/inventory/inventory.module.ts",
        "from './schemas/item.schema';",
        "from './schemas/items.schema';",
        "structural",
        "./schemas/items.schema",
        ("structuralPassed", "buildPassed"),
    ),
    "nats-nest8-legacy": Defect(
        "src/users/users.controller.ts",
        "@MessagePattern(USERS + '.remove')",
        "@MessagePattern(FIND_USER) // a second handler of users.find",
        "contract_discovery",
        "// a second handler",
        ("contractDiscoveryPassed",),
    ),
    "cqrs-entry-elsewhere": Defect(
        "src/core.ts",
        "@Module({ imports: [AccountsModule] })\n",
        "",
        "structural",
        "export class CoreModule",
        ("structuralPassed",),
    ),
    "nest-monorepo": Defect(
        "apps/mailer/src/mailer.controller.ts",
        "    this.outbox.push(mail);",
        "    this.outbox.push(mail.to);",
        "typescript",
        "this.outbox.push(mail.to);",
        ("typescriptPassed", "buildPassed"),
    ),
}


def _validate(root: Path, tmp_path: Path, expect: int) -> dict[str, dict[str, Any]]:
    env = clean_env(CODEGEN_DATABASE_URL=f"sqlite:///{tmp_path / 'codegen.db'}")
    done = cli_json(["validate", "--path", str(root)], env, tmp_path, expect=expect)
    assert not (tmp_path / "codegen.db").exists()  # judging code on disk stores nothing
    return {Path(s["path"]).name: s for s in done["services"]}


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("clean")
    return _validate(STYLES_DIR, work, 0)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    work = tmp_path_factory.mktemp("broken")
    root = work / "styles"
    shutil.copytree(STYLES_DIR, root)
    for style, defect in DEFECTS.items():
        path = root / style / defect.file
        text = path.read_text()
        assert defect.old in text, (style, defect.old)
        path.write_text(text.replace(defect.old, defect.new, 1))
    return _validate(root, work, 1)


def test_every_style_has_a_defect() -> None:
    assert sorted(DEFECTS) == sorted(STYLES)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_a_correct_style_validates_clean(style: str, clean: dict[str, dict[str, Any]]) -> None:
    service = clean[style]
    validation = service["validation"]
    assert service["serviceName"] == STYLES[style]["serviceName"]
    assert service["source"] == "code"
    assert {k: validation[k] for k in LEVELS} == LEVELS, validation["errors"]
    assert validation["errors"] == []


@pytest.mark.parametrize("style", sorted(DEFECTS))
def test_one_defect_is_one_precise_finding(style: str, broken: dict[str, dict[str, Any]]) -> None:
    defect = DEFECTS[style]
    validation = broken[style]["validation"]
    failed = tuple(sorted(k for k in LEVELS if validation[k] is False))
    assert failed == tuple(sorted(defect.fails)), validation["errors"]
    own = [e for e in validation["errors"] if e["level"] != "build"]
    assert len(own) == 1, own
    [finding] = own
    text = (STYLES_DIR / style / defect.file).read_text()
    lines = text.replace(defect.old, defect.new, 1).splitlines()
    line = next(i for i, t in enumerate(lines, 1) if defect.line_of in t)
    assert (finding["level"], finding["file"], finding["line"]) == (defect.level, defect.file, line)
    builds = [e for e in validation["errors"] if e["level"] == "build"]
    assert all(e["file"] is None and e["message"].startswith("not built") for e in builds)
