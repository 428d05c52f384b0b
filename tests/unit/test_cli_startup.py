"""What the `codegen` command loads as a user runs it: its modules and `--help` load no
broker (celery, kombu, redis), S3, database-driver or HTTP client library nor Alembic; the
embedded `generate` loads none of those clients either, and it runs Alembic's migration
environment only for a history that is not at the head yet."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOP = ROOT / "examples" / "shop.graph.json"
BROKER_AND_CLIENTS = ("celery", "kombu", "redis", "boto3", "botocore", "psycopg", "requests")
# the migration environment: the script Alembic executes (loaded from its path, so it is
# seen executing, not in sys.modules) to run migrations
ENV_SCRIPT = "codegen_tasks/migrations/env.py"
OFFLINE = {"CODEGEN_VALIDATE_TYPESCRIPT": "false", "CODEGEN_RUNTIME_CHECK": "false"}


# prints, as the last line of stderr when the interpreter exits, the watched libraries it
# loaded and ENV_SCRIPT if it executed it
REPORT_AT_EXIT = """
import atexit, json, sys
ran = []
def _watch(event, args):
    if event == "exec" and getattr(args[0], "co_filename", "").endswith(ENV_SCRIPT):
        ran.append(ENV_SCRIPT)
def _report():
    loaded = [w for w in WATCHED if any(m == w or m.startswith(w + ".") for m in sys.modules)]
    sys.stderr.write("\\n" + json.dumps(loaded + ran[:1]) + "\\n")
sys.addaudithook(_watch)
atexit.register(_report)
"""


def _loaded(code: str, env: dict[str, str], cwd: Path) -> list[str]:
    """The libraries of BROKER_AND_CLIENTS and Alembic a fresh interpreter has loaded when
    it ends after `code`, and ENV_SCRIPT if it executed it."""
    watched = (*BROKER_AND_CLIENTS, "alembic")
    preamble = f"WATCHED = {watched!r}\nENV_SCRIPT = {ENV_SCRIPT!r}\n{REPORT_AT_EXIT}"
    script = f"{preamble}\n{textwrap.dedent(code)}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CODEGEN_", "OPENROUTER_"))}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        env=clean | env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    loaded: list[str] = json.loads(done.stderr.strip().splitlines()[-1])
    return loaded


def _generate(home: Path) -> list[str]:
    """`codegen generate examples/shop.graph.json --json` in a fresh interpreter."""
    return _loaded(
        f"""
        import sys
        from codegen_tasks.cli import run
        sys.argv = ["codegen", "generate", {str(SHOP)!r}, "--json"]
        run()
        """,
        OFFLINE | {"CODEGEN_HOME": str(home)},
        home,
    )


def test_the_cli_modules_load_no_client_library_nor_alembic(tmp_path: Path) -> None:
    code = """
    import importlib, pkgutil
    import codegen_tasks.cli
    for found in pkgutil.iter_modules(codegen_tasks.cli.__path__, "codegen_tasks.cli."):
        importlib.import_module(found.name)
    """
    assert _loaded(code, {}, tmp_path) == []


def test_help_loads_no_client_library(tmp_path: Path) -> None:
    code = """
    import sys
    from codegen_tasks.cli import run
    sys.argv = ["codegen", "generate", "--help"]
    run()
    """
    assert _loaded(code, {}, tmp_path) == []


def test_embedded_generate_migrates_a_new_history_then_only_reads_its_revision(
    tmp_path: Path,
) -> None:
    """A new state directory is migrated (so Alembic is seen, and this check can fail); the
    next run finds the history at the head and runs no migration environment."""
    first = _generate(tmp_path)
    assert set(first) & set(BROKER_AND_CLIENTS) == set()
    assert ENV_SCRIPT in first
    again = _generate(tmp_path)
    assert set(again) & set(BROKER_AND_CLIENTS) == set()
    assert ENV_SCRIPT not in again
