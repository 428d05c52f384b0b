"""Sandboxes started ahead of their work. A sandbox's start (bubblewrap, node, the probe and
the service's process loading the platform's NestJS) is the same for every service, so it
can run while the service is still being generated or compiled; its work (the bundle's
files, the nonce and the plan) comes later. Only sandboxes without bound database sockets
are started ahead (those are known once a throwaway database exists)."""

from __future__ import annotations

import logging
import shutil
import tempfile
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from importlib import resources
from pathlib import Path

from codegen_tasks.checks.runtime.sandbox import Job, Limits, Sandbox, Started
from codegen_tasks.checks.scratch import owned_prefix

RUNTIME_PACKAGE = "codegen_tasks.checks.runtime"
PROBE_FILES = ("probe.js", "zygote.js")
log = logging.getLogger("codegen_tasks.runtime")


def _nothing() -> None:
    return None


@cache
def probe_source(name: str) -> str:
    return resources.files(RUNTIME_PACKAGE).joinpath(name).read_text(encoding="utf-8")


class Booting:
    """A scratch directory (an empty `app/`, the probe in `probe/`) and, once started, its
    sandbox. `close()` kills what is left and removes the directory."""

    def __init__(
        self,
        sandbox: Sandbox,
        node_modules: Path,
        limits: Limits,
        *,
        work_root: Path | None = None,
        sockets: dict[str, Path] | None = None,
    ) -> None:
        self.sandbox = sandbox
        self.scratch = Path(tempfile.mkdtemp(prefix=owned_prefix("run"), dir=work_root))
        (self.scratch / "app").mkdir()
        probe = self.scratch / "probe"
        probe.mkdir()
        for name in PROBE_FILES:
            (probe / name).write_text(probe_source(name), encoding="utf-8")
        self.job = Job(self.scratch, node_modules, limits, sockets=sockets or {})
        self.started: Started | None = None

    def start(self) -> Started:
        if self.started is None:
            self.started = self.sandbox.start(self.job)
        return self.started

    def close(self) -> None:
        if self.started is not None and self.started.proc.returncode is None:
            self.started.discard()
        shutil.rmtree(self.scratch, ignore_errors=True)


class WarmPool:
    """Up to `limit` started sandboxes waiting for work; taken first come, first served.

    They are started from one long-lived thread of the pool's: bubblewrap dies with the
    thread that started it (--die-with-parent), and the thread that prepares a sandbox may
    be gone before another one's check takes it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._waiting: list[Booting] = []
        self._starting = 0
        self._lock = threading.Lock()
        self._starter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="codegen-sandbox")

    def start(self, make: Callable[[], Booting]) -> None:
        """Make and start a sandbox from the pool's thread, without waiting for it; it is
        kept once started (closed when the pool is full, dropped when it cannot start)."""
        with self._lock:
            self._starting += 1
        self._starter.submit(self._start, make)

    def _start(self, make: Callable[[], Booting]) -> None:
        try:
            booting = make()
            try:
                booting.start()
            except BaseException:
                booting.close()
                raise
            self.add(booting)
        except Exception as exc:  # the check that would have taken it starts its own
            log.warning("a sandbox started ahead failed: %s", exc)
        finally:
            with self._lock:
                self._starting -= 1

    def _settle(self) -> None:
        """Wait for the starts asked for so far (the starter runs them in order)."""
        try:
            self._starter.submit(_nothing).result()
        except RuntimeError:  # the interpreter is exiting: its shutdown waited for them
            return

    def add(self, booting: Booting) -> bool:
        """Keep a started sandbox; False (and it is closed) when the pool is full."""
        with self._lock:
            if len(self._waiting) < self.limit:
                self._waiting.append(booting)
                return True
        booting.close()
        return False

    @property
    def waiting(self) -> int:
        """Started sandboxes waiting for work (once the starts asked for are done)."""
        self._settle()
        with self._lock:
            return len(self._waiting)

    def full(self) -> bool:
        with self._lock:
            return len(self._waiting) + self._starting >= self.limit

    def take(self, sandbox: Sandbox) -> Booting | None:
        """A started sandbox of this kind; one still starting is waited for."""
        if self._starting:
            self._settle()
        with self._lock:
            for index, booting in enumerate(self._waiting):
                if booting.sandbox.name == sandbox.name:
                    return self._waiting.pop(index)
        return None

    def close(self) -> None:
        """Stop the waiting sandboxes, once those starting are up (the pool stays usable)."""
        self._settle()
        with self._lock:
            waiting, self._waiting = self._waiting, []
        for booting in waiting:
            booting.close()
