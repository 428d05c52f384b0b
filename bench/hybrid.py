"""Full-bundle vs hybrid generation of the shop example, through the `codegen` CLI against
the fake OpenRouter (its token counts and catalogue prices): completion tokens and cost per
service, and the share of first answers that pass every level for a scripted model that
makes a typical mistake in a skeleton file of every other service it writes.

.venv/bin/python -m bench.hybrid [--no-write]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.harness import API_KEY, MODEL, OWN_PREFIXES, ROOT
from bench.report import Section, write_section
from codegen_tasks.domain.results import ServiceResult
from codegen_tasks.testing import FakeOpenRouter
from codegen_tasks.testing.echo import hybrid_conversation, scaffold_answer

SHOP = ROOT / "examples" / "shop.graph.json"
MODES = ("full", "hybrid")


@dataclass
class Run:
    services: list[dict[str, Any]]
    spend: dict[str, tuple[int, int, float]]  # service -> prompt, completion tokens, cost


def sloppy_answer(body: dict[str, Any]) -> str:
    """The scaffold, but every other service's bootstrap imports a package outside the
    platform (a typical skeleton mistake); a hybrid-mode answer has no bootstrap to spoil."""
    answer = json.loads(scaffold_answer(body))
    if hybrid_conversation(body):
        return json.dumps(answer)
    for file in answer["files"]:
        if file["path"] == "src/main.ts" and _unlucky(answer["files"]):
            file["content"] = "import axios from 'axios';\nvoid axios;\n" + file["content"]
    return json.dumps(answer)


def _unlucky(files: list[dict[str, str]]) -> bool:
    package = next((f["content"] for f in files if f["path"] == "package.json"), "")
    return hashlib.sha256(package.encode()).digest()[0] % 2 == 0


def _spend(cwd: Path) -> dict[str, tuple[int, int, float]]:
    engine = sa.create_engine(f"sqlite:///{cwd / '.codegen' / 'codegen.db'}")
    query = sa.text(
        "SELECT service_name, sum(prompt_tokens), sum(completion_tokens), sum(cost_usd) "
        "FROM generation_history GROUP BY service_name"
    )
    with engine.connect() as conn:
        found = {r[0]: (int(r[1]), int(r[2]), float(r[3])) for r in conn.execute(query)}
    engine.dispose()
    return found


def run_cli(mode: str, responder: Any, extra: dict[str, str]) -> Run:
    with (
        tempfile.TemporaryDirectory(prefix="bench-hybrid-") as tmp,
        FakeOpenRouter(api_key=API_KEY, responder=responder) as fake,
    ):
        env = {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}
        env |= {"PYTHONPATH": str(ROOT), "OPENROUTER_API_KEY": API_KEY}
        env |= {"OPENROUTER_BASE_URL": fake.base_url, **extra}
        argv = ["generate", str(SHOP), "--model", MODEL, "--mode", mode, "--json"]
        done = subprocess.run(
            [sys.executable, "-m", "codegen_tasks", *argv],
            env=env,
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if not done.stdout.strip():
            raise RuntimeError(f"codegen generate --mode {mode} failed: {done.stderr[-2000:]}")
        return Run(json.loads(done.stdout)["services"], _spend(Path(tmp)))


def _passed(service: dict[str, Any]) -> bool:
    """Every level ran and passed."""
    validation = ServiceResult.model_validate(service).validation
    return validation is not None and all(v is True for v in validation.levels().values())


def main(argv: list[str] | None = None) -> Section:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(prog="bench.hybrid", description=__doc__)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    section = Section("hybrid", "Full-bundle vs hybrid generation", ["bench.hybrid", *argv])
    print("hybrid: the shop in full and hybrid mode, a correct and a sloppy scripted model")
    clean = {mode: run_cli(mode, scaffold_answer, {}) for mode in MODES}
    no_feedback = {"CODEGEN_FEEDBACK_ATTEMPTS": "0"}
    sloppy = {mode: run_cli(mode, sloppy_answer, no_feedback) for mode in MODES}
    names = [s["serviceName"] for s in clean["full"].services]
    for name in names:
        cells = []
        for mode in MODES:
            prompt, completion, cost = clean[mode].spend.get(name, (0, 0, 0.0))
            cells.append(f"{mode} {completion} completion / {prompt} prompt tokens, ${cost:.4f}")
        section.add(f"`{name}`", "; ".join(cells))
    for mode in MODES:
        spend = clean[mode].spend.values()
        completion, cost = sum(s[1] for s in spend), sum(s[2] for s in spend)
        per = len(names)
        section.add(
            f"{mode}: whole shop ({per} services)",
            f"{completion} completion tokens ({completion / per:.0f}/service), ${cost:.4f} "
            f"(${cost / per:.4f}/service); {sum(map(_passed, clean[mode].services))}/{per} pass",
        )
    for mode in MODES:
        services = sloppy[mode].services
        share = f"{sum(map(_passed, services))}/{len(services)}"
        section.add(f"{mode}, sloppy model: first answers passing every level", share)
    section.note(
        f"Model `{MODEL}` priced from the fake server's catalogue; tokens are the fake "
        "server's estimate of the prompt and the answer. The scripted model writes the "
        "built-in scaffold (in hybrid mode only `src/<name>/<name>.service.ts` of it), so both "
        "modes produce the same code and the difference is what the model is asked to write."
    )
    section.note(
        "The gateway makes no call in hybrid mode: its skeleton has no service implementation. "
        "The sloppy model adds an import outside the platform to the bootstrap of every other "
        "service in full mode (the feedback loop off, so the first answer decides); in hybrid "
        "mode the bootstrap is the skeleton's."
    )
    if not args.no_write:
        write_section(section)
    return section


if __name__ == "__main__":
    main()
