"""Checks made at the same time from several threads, compiled together.

The compiler's cost is mostly fixed (start, loading the typings), so the bundles of a run's
nodes are best compiled as one program (`check_many`). `BatchingChecker` does it without
making any node wait for the others: the first `check` waits a moment (`gather_s`) for
checks arriving with it, then compiles; the checks that arrive meanwhile queue up and are
compiled together by one of them as soon as the compiler is free (group commit). One node
alone costs what `check` costs plus that moment; N nodes arriving together, one batch.
"""

from __future__ import annotations

import threading
import time

from codegen_tasks.checks.static.typescript import (
    BundleChecker,
    ExtraReport,
    ExtraSources,
    TypeScriptReport,
)
from codegen_tasks.domain.files import GeneratedFile


class _Request:
    def __init__(self, files: list[GeneratedFile]) -> None:
        self.files = files
        self.report: TypeScriptReport | None = None
        self.error: BaseException | None = None
        self.wake = threading.Event()  # set when done, or when this request is to compile


class BatchingChecker:
    """A BundleChecker whose concurrent `check` calls share compiler runs."""

    def __init__(self, inner: BundleChecker, *, gather_s: float = 0.0) -> None:
        self._inner = inner
        self._gather_s = gather_s
        self._lock = threading.Lock()
        self._pending: list[_Request] = []
        self._compiling = False

    def check_many(self, bundles: dict[str, list[GeneratedFile]]) -> dict[str, TypeScriptReport]:
        return self._inner.check_many(bundles)

    def check_batch(
        self, bundles: dict[str, list[GeneratedFile]], extra: ExtraSources | None = None
    ) -> tuple[dict[str, TypeScriptReport], ExtraReport]:
        return self._inner.check_batch(bundles, extra)

    def check_extra(
        self, bundles: dict[str, list[GeneratedFile]], extra: ExtraSources
    ) -> ExtraReport:
        return self._inner.check_extra(bundles, extra)

    def check(self, files: list[GeneratedFile]) -> TypeScriptReport:
        request = _Request(files)
        with self._lock:
            self._pending.append(request)
            leads = not self._compiling
            self._compiling = True
        if leads and self._gather_s > 0:
            time.sleep(self._gather_s)
        while True:
            if leads:
                self._compile_pending()
                break
            request.wake.wait()
            request.wake.clear()
            if request.report is not None or request.error is not None:
                break
            leads = True  # handed the compiler by the last batch's leader
        if request.error is not None:
            raise request.error
        assert request.report is not None
        return request.report

    def _compile_pending(self) -> None:
        """Compile everything queued (this thread's request included), then hand the
        compiler to the first request queued meanwhile, if any."""
        with self._lock:
            batch, self._pending = self._pending, []
        try:
            reports = self._inner.check_many({str(i): r.files for i, r in enumerate(batch)})
            for i, request in enumerate(batch):
                request.report = reports[str(i)]
        except BaseException as exc:  # every waiter gets the error, none hangs
            for request in batch:
                request.error = exc
        with self._lock:
            successor = self._pending[0] if self._pending else None
            self._compiling = successor is not None
        for request in batch:
            request.wake.set()
        if successor is not None:
            successor.wake.set()
