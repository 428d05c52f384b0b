"""The runtime check: built services booted in a sandbox and probed over their transport."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from codegen_tasks.checks.runtime.report import RuntimeReport

if TYPE_CHECKING:
    from codegen_tasks.checks.runtime.checker import RuntimeChecker, RuntimeConfig

__all__ = ["RuntimeChecker", "RuntimeConfig", "RuntimeReport"]


def __getattr__(name: str) -> Any:
    """The checker on first use: it loads the check database's driver (psycopg), which
    whoever only reads runtime reports never needs."""
    if name in ("RuntimeChecker", "RuntimeConfig"):
        from codegen_tasks.checks.runtime import checker

        return getattr(checker, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
