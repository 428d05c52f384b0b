"""The runtime-check interface: a built service booted (a sandbox, a throwaway database)
and probed; the pipeline sees this, `checks.runtime.RuntimeChecker` implements it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from codegen_tasks.checks.runtime.report import RuntimeReport
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract
from codegen_tasks.domain.spec import ServiceSpec


class RuntimeCheck(Protocol):
    def check(
        self,
        spec: ServiceSpec,
        files: list[GeneratedFile],
        contracts: list[Contract],
        javascript: Mapping[str, str] | None = None,
    ) -> RuntimeReport:
        """Boot the bundle and probe it: `javascript` is the build level's output
        (`src/main.js` → text); without it the bundle is compiled first."""
        ...

    def prepare(self) -> None:
        """Start a sandbox for a check to come, so that its start overlaps the work before
        the check (an embedded run's node: its model call and the compiler)."""
        ...

    def release(self) -> None:
        """Stop the sandboxes `prepare` started that no check took."""
        ...
