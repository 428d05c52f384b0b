"""Concurrent compiler checks share compiler runs, each caller getting its own report."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping

import pytest

from codegen_tasks.checks.static.batching import Arrivals, BatchingChecker
from codegen_tasks.checks.static.extra import ExtraReport, ExtraSources
from codegen_tasks.checks.static.typescript import TypeScriptReport
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel
from codegen_tasks.errors import ToolchainError


def bundle(name: str) -> list[GeneratedFile]:
    return [GeneratedFile(path="src/main.ts", content=f"export const name = '{name}';\n")]


def report_for(files: list[GeneratedFile]) -> TypeScriptReport:
    message = files[0].content
    return TypeScriptReport(typescript=[Finding(level=ValidationLevel.TYPESCRIPT, message=message)])


class SlowCompiler:
    """Records each compiler run's bundles; the first run waits until `queued` is set."""

    def __init__(self, fail: bool = False) -> None:
        self.runs: list[list[str]] = []
        self.first_started = threading.Event()
        self.queued = threading.Event()
        self.fail = fail
        self.lock = threading.Lock()

    def check(self, files: list[GeneratedFile]) -> TypeScriptReport:
        return self.check_many({"one": files})["one"]

    def check_many(self, bundles: dict[str, list[GeneratedFile]]) -> dict[str, TypeScriptReport]:
        with self.lock:
            self.runs.append([files[0].content for files in bundles.values()])
            first = len(self.runs) == 1
        if first:
            self.first_started.set()
            assert self.queued.wait(10)
        if self.fail:
            raise ToolchainError("compiler crashed")
        return {key: report_for(files) for key, files in bundles.items()}


def check_all(
    checker: BatchingChecker, compiler: SlowCompiler, names: list[str]
) -> dict[str, object]:
    results: dict[str, object] = {}

    def call(name: str) -> None:
        try:
            results[name] = checker.check(bundle(name))
        except ToolchainError as exc:
            results[name] = exc

    first = threading.Thread(target=call, args=(names[0],))
    first.start()
    assert compiler.first_started.wait(10)
    others = [threading.Thread(target=call, args=(n,)) for n in names[1:]]
    for thread in others:
        thread.start()
    while len(checker._pending) < len(others):  # every other check queued behind the first
        threading.Event().wait(0.01)
    compiler.queued.set()
    for thread in [first, *others]:
        thread.join(10)
    return results


def test_checks_arriving_during_a_compile_share_the_next_one() -> None:
    compiler = SlowCompiler()
    checker = BatchingChecker(compiler)
    names = ["a", "b", "c", "d"]
    results = check_all(checker, compiler, names)
    assert [len(run) for run in compiler.runs] == [1, 3]
    for name in names:
        assert results[name] == report_for(bundle(name))


def test_a_lone_check_compiles_at_once() -> None:
    compiler = SlowCompiler()
    compiler.queued.set()
    report = BatchingChecker(compiler).check(bundle("solo"))
    assert report == report_for(bundle("solo")) and len(compiler.runs) == 1


def test_a_compiler_error_reaches_every_waiting_caller() -> None:
    compiler = SlowCompiler(fail=True)
    checker = BatchingChecker(compiler)
    results = check_all(checker, compiler, ["a", "b", "c"])
    assert len(results) == 3 and all(isinstance(r, ToolchainError) for r in results.values())
    with pytest.raises(ToolchainError):  # the next check runs the compiler again, not hangs
        checker.check(bundle("again"))
    assert len(compiler.runs) == 3


def test_checks_arriving_together_wait_for_each_other() -> None:
    compiler = SlowCompiler()
    compiler.queued.set()
    checker = BatchingChecker(compiler, gather_s=0.5)
    threads = [threading.Thread(target=checker.check, args=(bundle(n),)) for n in "abc"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert [sorted(run) for run in compiler.runs] == [sorted(bundle(n)[0].content for n in "abc")]


def test_the_first_check_waits_for_the_nodes_whose_answers_are_in() -> None:
    """A node answered before the first check arrived, but it reaches its own check only
    later (well past `gather_s`): the first check waits for it, and they compile once."""
    compiler = SlowCompiler()
    compiler.queued.set()
    arrivals = Arrivals()
    checker = BatchingChecker(compiler, gather_s=0.01, arrivals=arrivals, max_gather_s=10)
    answered = threading.Event()

    def late_node() -> None:
        arrivals.answered()
        answered.set()
        time.sleep(0.3)  # parsing and storing its answer
        checker.check(bundle("late"))

    late = threading.Thread(target=late_node)
    late.start()
    assert answered.wait(10)
    arrivals.answered()  # this thread's own answer does not hold it
    checker.check(bundle("first"))
    late.join(10)
    assert [sorted(run) for run in compiler.runs] == [
        sorted(bundle(n)[0].content for n in ("first", "late"))
    ]


def test_the_wait_for_answered_nodes_is_bounded() -> None:
    """A node that answered and then never checks (it failed unseen) holds the first check
    no longer than `max_gather_s`."""
    compiler = SlowCompiler()
    compiler.queued.set()
    arrivals = Arrivals()
    checker = BatchingChecker(compiler, arrivals=arrivals, max_gather_s=0.2)
    stuck = threading.Thread(target=arrivals.answered)
    stuck.start()
    stuck.join()
    started = time.monotonic()
    checker.check(bundle("a"))
    assert 0.2 <= time.monotonic() - started < 5


def test_a_node_gone_from_its_way_is_not_waited_for() -> None:
    """Answered, then calling the model again (or stopping): not on its way any more."""
    compiler = SlowCompiler()
    compiler.queued.set()
    arrivals = Arrivals()
    checker = BatchingChecker(compiler, arrivals=arrivals, max_gather_s=5)
    node = threading.Thread(target=lambda: (arrivals.answered(), arrivals.gone()))
    node.start()
    node.join()
    started = time.monotonic()
    checker.check(bundle("a"))
    assert time.monotonic() - started < 1


class ExtraCompiler(SlowCompiler):
    """Counts extra compiles; each answer names the bundles and sources it was given."""

    def __init__(self, fail: bool = False) -> None:
        super().__init__(fail)
        self.extra_runs = 0
        self.batch_runs = 0

    def check_batch(
        self,
        bundles: dict[str, list[GeneratedFile]],
        extra: ExtraSources | None = None,
        against: Mapping[str, list[GeneratedFile]] | None = None,
    ) -> tuple[dict[str, TypeScriptReport], ExtraReport]:
        self.batch_runs += 1
        assert extra is not None and against is not None
        sources = extra({key: key for key in against})
        found = ExtraReport(diagnostics=[(name, 1, text) for name, text in sources.items()])
        return self.check_many(bundles), found

    def check_extra(
        self, bundles: Mapping[str, list[GeneratedFile]], extra: ExtraSources
    ) -> ExtraReport:
        self.extra_runs += 1
        if self.fail:
            raise ToolchainError("compiler crashed")
        sources = extra({key: key for key in bundles})
        return ExtraReport(diagnostics=[(name, 1, text) for name, text in sources.items()])


def _sources(folders: Mapping[str, str]) -> dict[str, str]:
    return {"checks.ts": " ".join(sorted(folders))}


def test_the_typed_check_compiled_ahead_is_the_closes_answer() -> None:
    compiler = ExtraCompiler()
    checker = BatchingChecker(compiler)
    bundles = {"a": bundle("a"), "b": bundle("b")}
    ahead = checker.check_extra(bundles, _sources)
    assert checker.check_extra(dict(bundles), _sources) == ahead
    assert compiler.extra_runs == 1
    changed = {"a": bundle("a2"), "b": bundle("b")}  # a node regenerated since: compiled again
    assert checker.check_extra(changed, _sources) == ahead  # (same sources, other bundles)
    assert compiler.extra_runs == 2


def test_a_failed_typed_check_is_not_kept() -> None:
    compiler = ExtraCompiler(fail=True)
    checker = BatchingChecker(compiler)
    for _ in range(2):
        with pytest.raises(ToolchainError):
            checker.check_extra({"a": bundle("a")}, _sources)
    assert compiler.extra_runs == 2


def test_a_failing_companion_costs_the_batch_nothing() -> None:
    """The embedded run's typed check for the batch could not be read: the batch compiles
    without it, and every check gets its report."""
    compiler = ExtraCompiler()
    compiler.queued.set()

    def companion() -> None:
        raise RuntimeError("history unreachable")

    checker = BatchingChecker(compiler, companion=companion)
    assert checker.check(bundle("a")) == report_for(bundle("a"))
    assert compiler.extra_runs == 0 and len(compiler.runs) == 1


def test_the_companion_check_compiles_with_the_batch_and_is_kept() -> None:
    compiler = ExtraCompiler()
    compiler.queued.set()
    typed = {"a": bundle("a")}
    checker = BatchingChecker(compiler, companion=lambda: (typed, _sources))
    assert checker.check(bundle("a")) == report_for(bundle("a"))
    assert compiler.batch_runs == 1 and compiler.extra_runs == 0
    kept = checker.check_extra(dict(typed), _sources)  # the close: no second compile
    assert kept.diagnostics == [("checks.ts", 1, "a")] and compiler.extra_runs == 0
