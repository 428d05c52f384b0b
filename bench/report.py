"""Printing results and writing them into BENCHMARKS.md, one section per benchmark."""

from __future__ import annotations

import os
import platform
import re
import shlex
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.harness import ROOT

BENCHMARKS = ROOT / "BENCHMARKS.md"
HEADER = """# Benchmarks

Produced by the scripts in `bench/` against real Redis, PostgreSQL, Celery workers started
from the `Procfile`'s worker lines, file:// storage and the fake OpenRouter server
(`codegen_tasks.testing.FakeOpenRouter`, answering with the scaffold for the prompt's spec).
Each section names the command that reproduces it; `.venv/bin/python -m bench` runs them all.
Each section states the machine and its load while it ran; repeated measurements give their
median and their spread (min-max), not the best run. Ratios matter more than seconds.
"""


@dataclass
class Row:
    metric: str
    value: str
    target: str = ""
    verdict: str = ""


@dataclass
class Section:
    name: str
    title: str
    argv: list[str]
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    load_at_start: tuple[float, float, float] = field(default_factory=os.getloadavg)

    def add(self, metric: str, value: str, target: str = "", ok: bool | None = None) -> None:
        verdict = "" if ok is None else ("met" if ok else "MISSED")
        self.rows.append(Row(metric, value, target, verdict))
        line = f"  {metric}: {value}"
        if target:
            line += f"   (target {target}: {verdict})"
        print(line, flush=True)

    def note(self, text: str) -> None:
        self.notes.append(text)

    def command(self) -> str:
        return " ".join([".venv/bin/python", "-m", *map(shlex.quote, self.argv)])

    def markdown(self) -> str:
        start = ", ".join(f"{x:.1f}" for x in self.load_at_start)
        end = ", ".join(f"{x:.1f}" for x in os.getloadavg())
        machine = (
            f"{os.cpu_count()} cores, load average (1, 5, 15 min) {start} at the start and "
            f"{end} at the end, Python {platform.python_version()}, {sys.platform}"
        )
        when = datetime.now(UTC).strftime("%Y-%m-%d")
        lines = [
            f"## {self.title}",
            "",
            f"Reproduce: `{self.command()}`  ",
            f"Measured {when} on {machine}.",
            "",
            "| metric | value | target | |",
            "|---|---|---|---|",
            *(f"| {r.metric} | {r.value} | {r.target} | {r.verdict} |" for r in self.rows),
        ]
        if self.notes:
            lines += ["", *(f"- {n}" for n in self.notes)]
        return "\n".join(lines) + "\n"


def write_section(section: Section) -> None:
    """Replace (or append) this benchmark's section of BENCHMARKS.md."""
    begin, end = f"<!-- bench:{section.name} -->", f"<!-- /bench:{section.name} -->"
    text = BENCHMARKS.read_text() if BENCHMARKS.exists() else HEADER
    block = f"{begin}\n{section.markdown()}{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text)
    print(f"wrote the {section.name!r} section of {BENCHMARKS.name}", flush=True)
