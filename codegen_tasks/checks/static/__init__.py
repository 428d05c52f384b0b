"""Deterministic checks of generated bundles: the structural, typescript and build levels."""

from __future__ import annotations

from codegen_tasks.checks.static.structural import structural_findings
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.typescript import TypeScriptChecker, TypeScriptReport

__all__ = [
    "Toolchain",
    "TypeScriptChecker",
    "TypeScriptReport",
    "structural_findings",
]
