"""Runtime verdicts kept by their inputs: which inputs change the key, which verdicts are
kept, and the store over the memory and file caches (the same test body for both)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from codegen_tasks.adapters.cache import FileCache, MemoryCache
from codegen_tasks.adapters.keys import runtime_verdict_key
from codegen_tasks.checks.contracts import discover_contracts
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.runtime.plan import build_plan, health_only
from codegen_tasks.checks.runtime.report import Exit, RuntimeReport, StepRecord, Transcript
from codegen_tasks.checks.runtime.verdicts import (
    VerdictInputs,
    Verdicts,
    keepable,
    verdict_digest,
)
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Finding, ValidationLevel
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.errors import CacheError
from codegen_tasks.generation.scaffold import render_service
from codegen_tasks.ports.cache import Cache
from tests.examples import node_id, shop

INPUTS = VerdictInputs(
    platform="ts-0123", probe="// probe", sandbox="bubblewrap", databases=False, settings="x"
)
JS = {"src/main.js": "require('./app.module');"}


def _digest(
    inputs: VerdictInputs = INPUTS,
    change: Callable[[list[GeneratedFile]], list[GeneratedFile]] = lambda files: files,
    javascript: dict[str, str] | None = None,
    health: bool = False,
) -> str:
    raw = shop()
    spec = build_service_spec(parse_graph(raw).graph, node_id(raw, "payments"), "shop")
    files = render_service(spec)
    plan = build_plan(spec, files, discover_contracts(files).contracts)
    return verdict_digest(
        inputs, spec, change(files), JS if javascript is None else javascript,
        health_only(plan) if health else plan,
    )  # fmt: skip


def test_the_same_inputs_give_the_same_key() -> None:
    assert _digest() == _digest()


@pytest.mark.parametrize(
    "other",
    [
        lambda: _digest(VerdictInputs("ts-4567", "// probe", "bubblewrap", False, "x")),
        lambda: _digest(VerdictInputs("ts-0123", "// probe v2", "bubblewrap", False, "x")),
        lambda: _digest(VerdictInputs("ts-0123", "// probe", "unsandboxed", False, "x")),
        lambda: _digest(VerdictInputs("ts-0123", "// probe", "bubblewrap", True, "x")),
        lambda: _digest(VerdictInputs("ts-0123", "// probe", "bubblewrap", False, "y")),
        lambda: _digest(change=lambda f: [*f, GeneratedFile(path="src/x.ts", content="1")]),
        lambda: _digest(javascript={"src/main.js": "require('./other');"}),
        lambda: _digest(health=True),
    ],
    ids=["platform", "probe", "sandbox", "databases", "limits", "file", "javascript", "plan"],
)
def test_every_input_changes_the_key(other: Callable[[], str]) -> None:
    assert other() != _digest()


def _transcript(**values: object) -> Transcript:
    return Transcript.model_validate({"listening": True, **values})


BOOT_FAILED = RuntimeReport(health=[Finding(level=ValidationLevel.HEALTH_CHECK, message="boom")])


def test_verdicts_from_the_bundle_alone_are_kept() -> None:
    assert keepable(RuntimeReport(exercised=True), _transcript(), timed_out=False)
    exited = Transcript(listening=False, exited=Exit(code=1))
    assert keepable(BOOT_FAILED, exited, timed_out=False)


@pytest.mark.parametrize(
    ("report", "transcript", "timed_out"),
    [
        (RuntimeReport(), _transcript(), True),  # the wall-clock limit
        (BOOT_FAILED, Transcript(listening=False), False),  # did not listen in time
        (
            RuntimeReport(exercised=True),
            _transcript(steps=[StepRecord(name="a", pattern="a", timed_out=True)]),
            False,
        ),  # a handler that did not answer in time
        (BOOT_FAILED, Transcript(probe_error="spawn failed"), False),
        (RuntimeReport(skipped="no sandbox"), _transcript(), False),
    ],
    ids=["wall-clock", "boot-timeout", "call-timeout", "probe-error", "skipped"],
)
def test_verdicts_that_depend_on_a_clock_or_the_host_are_not_kept(
    report: RuntimeReport, transcript: Transcript, timed_out: bool
) -> None:
    assert not keepable(report, transcript, timed_out=timed_out)


@pytest.fixture(params=["memory", "file"])
def cache(request: pytest.FixtureRequest, tmp_path: Path) -> Cache:
    return MemoryCache() if request.param == "memory" else FileCache(tmp_path / "cache")


def test_a_kept_verdict_is_read_back(cache: Cache) -> None:
    verdicts = Verdicts(cache, ttl_s=60)
    assert verdicts.get("d1") is None
    verdicts.put("d1", BOOT_FAILED)
    assert verdicts.get("d1") == BOOT_FAILED
    assert verdicts.get("d2") is None


def test_an_unreadable_or_unreachable_cache_means_booting_again(cache: Cache) -> None:
    cache.set(runtime_verdict_key("d1"), "{not json", 60)
    assert Verdicts(cache, ttl_s=60).get("d1") is None

    class Down:
        def get(self, key: str) -> str | None:
            raise CacheError("down")

        def set(self, key: str, value: str, ttl_s: int) -> None:
            raise CacheError("down")

    down = Verdicts(Down(), ttl_s=60)  # type: ignore[arg-type]
    down.put("d1", BOOT_FAILED)
    assert down.get("d1") is None
