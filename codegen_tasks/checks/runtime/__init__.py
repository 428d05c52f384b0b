"""The runtime check: built services booted in a sandbox and probed over their transport."""

from __future__ import annotations

from codegen_tasks.checks.runtime.checker import RuntimeChecker, RuntimeConfig
from codegen_tasks.checks.runtime.report import RuntimeReport

__all__ = ["RuntimeChecker", "RuntimeConfig", "RuntimeReport"]
