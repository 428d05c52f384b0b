"""`codegen --help` and every `codegen <command> --help`, as a fresh interpreter prints them
(the commands' work is imported only when they run), are the texts in cli_help.json.

After changing a command's help or options on purpose, rewrite the file:
    .venv/bin/python -m tests.unit.test_cli_help
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXPECTED = Path(__file__).with_name("cli_help.json")
COMMANDS = [
    "",
    *["generate", "regenerate", "status", "export", "validate", "contracts", "costs", "report"],
    *["projects", "runs", "sweep", "models", "test-connection", "schema"],
    *["db", "db upgrade", "storage", "storage init"],
]


def printed_help() -> dict[str, str]:
    """Each command's help text, from one fresh interpreter at a fixed terminal width."""
    code = f"""
    import contextlib, io, json, sys
    from codegen_tasks.cli import run
    helps = {{}}
    for command in {COMMANDS!r}:
        sys.argv = ["codegen", *command.split(), "--help"]
        with contextlib.redirect_stdout(io.StringIO()) as out, contextlib.suppress(SystemExit):
            run()
        helps[command] = out.getvalue()
    print(json.dumps(helps))
    """
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CODEGEN_", "OPENROUTER_"))}
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=clean | {"COLUMNS": "100", "TERM": "dumb"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    helps: dict[str, str] = json.loads(done.stdout)
    return helps


def test_every_command_prints_its_help_and_options_unchanged() -> None:
    expected = json.loads(EXPECTED.read_text(encoding="utf-8"))
    printed = printed_help()
    assert list(printed) == list(expected)
    for command, text in expected.items():
        assert printed[command] == text, f"codegen {command} --help"
    listed = {line.split()[0] for line in printed[""].split("Commands:")[1].splitlines() if line}
    assert listed == {c for c in COMMANDS if c and " " not in c}  # every command is listed


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps(printed_help(), indent=2) + "\n", encoding="utf-8")
