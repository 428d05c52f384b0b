"""The runtime check: built services booted in a sandbox and probed over their transport."""

from __future__ import annotations

from codegen_tasks.runtime.checker import RuntimeChecker, RuntimeConfig
from codegen_tasks.runtime.report import RuntimeReport

__all__ = ["RuntimeChecker", "RuntimeConfig", "RuntimeReport"]
