"""The layers as a user of the package meets them: the pipeline loads no database, Redis or
S3 client (the edges build the adapters), and importing reads no setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLIENT_LIBRARIES = ("alembic", "boto3", "botocore", "psycopg", "redis", "sqlalchemy")
# modules that do something when imported: the CLI entry point, Alembic's migration script
RUN_ON_IMPORT = ("codegen_tasks.__main__", "codegen_tasks.migrations.env")
BAD_SETTINGS = {"CODEGEN_MAX_RETRIES": "many", "CODEGEN_VISIBILITY_TIMEOUT_S": "0"}


def _python(code: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CODEGEN_", "OPENROUTER_"))}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=clean | (env or {}),
        capture_output=True,
        text=True,
        timeout=120,
    )


def _loaded_by(packages: list[str]) -> list[str]:
    """The client libraries in sys.modules after importing every module of `packages`."""
    done = _python(
        f"""
        import importlib, json, pkgutil, sys
        for name in {packages!r}:
            package = importlib.import_module(name)
            for found in pkgutil.walk_packages(getattr(package, "__path__", []), name + "."):
                importlib.import_module(found.name)
        roots = {{m.split(".")[0] for m in sys.modules}}
        print(json.dumps(sorted(roots & set({CLIENT_LIBRARIES!r}))))
        """
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stdout)
    return loaded


def test_the_pipeline_loads_no_client_library() -> None:
    assert _loaded_by(["codegen_tasks.pipeline"]) == []


def test_the_adapters_load_the_client_libraries() -> None:
    """The adapters the edges build do load them (so the check above can fail); Alembic
    and the check database's driver are imported when used, not with a module."""
    loaded = set(_loaded_by(["codegen_tasks.adapters"]))
    assert loaded >= {"boto3", "botocore", "redis", "sqlalchemy"}


def test_importing_reads_no_setting_and_using_fails_with_settings_error() -> None:
    done = _python(
        f"""
        import importlib, pkgutil
        import codegen_tasks, workers
        from codegen_tasks.errors import SettingsError
        for package in (codegen_tasks, workers):
            for found in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
                if found.name not in {RUN_ON_IMPORT!r}:
                    importlib.import_module(found.name)
        print("imported")
        from workers.app import app
        from workers.runtime import deps
        uses = {{
            "celery configuration": lambda: app.conf.broker_url,
            "celery tasks": lambda: app.tasks["codegen.finalize_run"],
            "configuration again": lambda: app.conf.task_always_eager,
            "worker ports": deps,
        }}
        for name, use in uses.items():
            try:
                use()
            except SettingsError as exc:
                print(name, "->", exc.code, exc.problems[0].split(":")[0])
            else:
                print(name, "-> no error")
        """,
        BAD_SETTINGS,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "imported",
        "celery configuration -> invalid_settings CODEGEN_MAX_RETRIES",
        "celery tasks -> invalid_settings CODEGEN_MAX_RETRIES",
        "configuration again -> invalid_settings CODEGEN_MAX_RETRIES",
        "worker ports -> invalid_settings CODEGEN_MAX_RETRIES",
    ]


def test_a_command_with_bad_settings_says_so_and_exits_2(tmp_path: Path) -> None:
    done = _python(
        "from codegen_tasks.cli import run; import sys; sys.argv = ['codegen', 'projects']; run()",
        BAD_SETTINGS | {"CODEGEN_HOME": str(tmp_path)},
    )
    assert done.returncode == 2
    assert done.stderr.startswith("error: invalid settings: CODEGEN_MAX_RETRIES")
    assert "Traceback" not in done.stderr


def test_with_good_settings_the_app_is_configured_on_first_use() -> None:
    done = _python(
        """
        from workers.app import app
        print(app.conf.task_always_eager, app.conf.broker_url, app.conf.task_default_queue)
        """
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["True", "memory://", "codegen.control"]
