"""Deterministic checks of generated bundles: the structural, typescript and build levels."""

from __future__ import annotations

from codegen_tasks.validation.structural import structural_findings
from codegen_tasks.validation.toolchain import Toolchain, pinned_versions
from codegen_tasks.validation.typescript import TypeScriptChecker, TypeScriptReport

__all__ = [
    "Toolchain",
    "TypeScriptChecker",
    "TypeScriptReport",
    "pinned_versions",
    "structural_findings",
]
