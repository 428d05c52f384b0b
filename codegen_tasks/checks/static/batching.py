"""Checks made at the same time from several threads, compiled together.

The compiler's cost is mostly fixed (start, loading the typings), so the bundles of a run's
nodes are best compiled as one program (`check_many`). `BatchingChecker` does it without
making any node wait for the others: the first `check` waits a moment (`gather_s`) for
checks arriving with it, then compiles; the checks that arrive meanwhile queue up and are
compiled together by one of them as soon as the compiler is free (group commit). One node
alone costs what `check` costs plus that moment; N nodes arriving together, one batch.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping

from codegen_tasks.checks.static.extra import ExtraJob, folders_of
from codegen_tasks.checks.static.typescript import (
    BundleChecker,
    ExtraReport,
    ExtraSources,
    TypeScriptReport,
)
from codegen_tasks.domain.files import GeneratedFile

log = logging.getLogger("codegen_tasks.checks")
POLL_S = 0.005  # how often a gathering leader looks for checks on their way
# The typed contract check to compile with a batch, when it is known as the batch starts:
# the bundles it imports and its sources (an embedded run gives it for its last wave)
Companion = Callable[[], ExtraJob | None]


def _extra_key(bundles: Mapping[str, list[GeneratedFile]], extra: ExtraSources) -> str:
    digest = hashlib.sha256()
    for key, files in bundles.items():
        digest.update(f"\0bundle {key}\0".encode())
        for file in files:
            digest.update(f"\0{file.path}\0{file.content}".encode())
    for name, content in sorted(extra(folders_of(bundles)).items()):
        digest.update(f"\0extra {name}\0{content}".encode())
    return digest.hexdigest()


class Arrivals:
    """The threads on their way to a check: a thread is marked when its model answer is in
    (`answered`) and unmarked when it checks, calls the model again, or stops (`gone`)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._coming: set[int] = set()

    def answered(self) -> None:
        with self._lock:
            self._coming.add(threading.get_ident())

    def gone(self) -> None:
        with self._lock:
            self._coming.discard(threading.get_ident())

    def expected(self) -> int:
        """How many threads other than the caller are on their way."""
        with self._lock:
            return len(self._coming - {threading.get_ident()})


class _Request:
    def __init__(self, files: list[GeneratedFile]) -> None:
        self.files = files
        self.report: TypeScriptReport | None = None
        self.error: BaseException | None = None
        self.wake = threading.Event()  # set when done, or when this request is to compile


class BatchingChecker:
    """A BundleChecker whose concurrent `check` calls share compiler runs."""

    def __init__(
        self,
        inner: BundleChecker,
        *,
        gather_s: float = 0.0,
        arrivals: Arrivals | None = None,
        max_gather_s: float = 0.0,
        companion: Companion | None = None,
    ) -> None:
        self._inner = inner
        self._companion = companion
        self._gather_s = gather_s
        self._arrivals = arrivals
        self._max_gather_s = max_gather_s
        self._lock = threading.Lock()
        self._pending: list[_Request] = []
        self._compiling = False
        self._extra: dict[str, ExtraReport] = {}  # typed checks compiled, by their inputs

    def check_many(self, bundles: dict[str, list[GeneratedFile]]) -> dict[str, TypeScriptReport]:
        return self._inner.check_many(bundles)

    def check_batch(
        self,
        bundles: dict[str, list[GeneratedFile]],
        extra: ExtraSources | None = None,
        against: Mapping[str, list[GeneratedFile]] | None = None,
    ) -> tuple[dict[str, TypeScriptReport], ExtraReport]:
        return self._inner.check_batch(bundles, extra, against)

    def check_extra(
        self, bundles: Mapping[str, list[GeneratedFile]], extra: ExtraSources
    ) -> ExtraReport:
        """Kept by its inputs: the same bundles and extra sources asked again (by a run's
        close, after its last batch compiled them) get the first answer. A failed compile
        is not kept."""
        key = _extra_key(bundles, extra)
        with self._lock:
            kept = self._extra.get(key)
        if kept is None:
            kept = self._inner.check_extra(bundles, extra)
            with self._lock:
                self._extra[key] = kept
        return kept

    def check(self, files: list[GeneratedFile]) -> TypeScriptReport:
        request = _Request(files)
        if self._arrivals is not None:
            self._arrivals.gone()
        with self._lock:
            self._pending.append(request)
            leads = not self._compiling
            self._compiling = True
        if leads:
            self._gather()
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

    def _compiled(self, bundles: dict[str, list[GeneratedFile]]) -> dict[str, TypeScriptReport]:
        """The batch's reports; with the typed contract check `companion` gives now, that
        check compiled in the same run, its answer kept for `check_extra`."""
        job = self._companion_job()
        if job is None:
            return self._inner.check_many(bundles)
        against, sources = job
        key = _extra_key(against, sources)
        with self._lock:
            if key in self._extra:
                return self._inner.check_many(bundles)
        reports, found = self._inner.check_batch(bundles, sources, against)
        with self._lock:
            self._extra[key] = found
        return reports

    def _companion_job(self) -> ExtraJob | None:
        """The companion's check, if any: its failure costs the batch nothing (the run's
        close compiles the check itself)."""
        if self._companion is None:
            return None
        try:
            return self._companion()
        except Exception:
            log.exception("the typed contract check to compile with a batch")
            return None

    def _gather(self) -> None:
        """The leader's wait: `gather_s`, then while checks are known to be on their way."""
        started = time.monotonic()
        if self._gather_s > 0:
            time.sleep(self._gather_s)
        if self._arrivals is None:
            return
        while self._arrivals.expected() > 0 and time.monotonic() - started < self._max_gather_s:
            time.sleep(POLL_S)

    def _compile_pending(self) -> None:
        """Compile everything queued (this thread's request included), then hand the
        compiler to the first request queued meanwhile, if any."""
        with self._lock:
            batch, self._pending = self._pending, []
        try:
            reports = self._compiled({str(i): r.files for i, r in enumerate(batch)})
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
