"""An unchanged bundle is not booted twice: the runtime check's verdict is kept in the
cache by its inputs and reused; a changed bundle boots again, and a verdict decided by a
clock (here a boot that did not listen in time) is never kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from codegen_tasks.adapters.cache import FileCache
from codegen_tasks.checks.graph_input import parse_graph
from codegen_tasks.checks.runtime import RuntimeChecker, RuntimeConfig, RuntimeReport
from codegen_tasks.checks.runtime.sandbox import Limits
from codegen_tasks.checks.runtime.verdicts import Verdicts
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import build_service_spec
from codegen_tasks.settings import get_settings
from tests.examples import node_id, shop

pytestmark = pytest.mark.integration


def _checker(cache_dir: Path, boot_timeout_s: float = 20.0) -> RuntimeChecker:
    config = RuntimeConfig(
        boot_timeout_s=boot_timeout_s,
        call_timeout_s=2.0,
        limits=Limits(wall_s=30.0, cpu_s=20, memory_mb=512),
    )
    verdicts = Verdicts(FileCache(cache_dir), ttl_s=600)
    return RuntimeChecker(Toolchain(get_settings().toolchain_dir), config, verdicts=verdicts)


def _check(checker: RuntimeChecker, main: str) -> RuntimeReport:
    raw = shop()
    spec = build_service_spec(parse_graph(raw).graph, node_id(raw, "payments"), "shop")
    files = [GeneratedFile(path="src/main.ts", content=main)]
    return checker.check(spec, files, [], {"src/main.js": main})


EXITS = "process.stderr.write('ERROR signing key missing\\n'); process.exit(4);"


def test_an_unchanged_bundle_is_judged_once(tmp_path: Path) -> None:
    first = _check(_checker(tmp_path), EXITS)
    assert first.health_passed is False and not first.reused
    assert "signing key missing" in first.health[0].message
    again = _check(_checker(tmp_path), EXITS)  # another checker, the same cache
    assert again.reused
    assert again.health == first.health and again.warnings == first.warnings
    changed = _check(_checker(tmp_path), EXITS.replace("exit(4)", "exit(5)"))
    assert not changed.reused and "code 5" in changed.health[0].message


def test_a_verdict_decided_by_a_clock_is_not_kept(tmp_path: Path) -> None:
    never = "setInterval(() => undefined, 1000);"
    first = _check(_checker(tmp_path, boot_timeout_s=0.5), never)
    assert first.health_passed is False and "did not listen" in first.health[0].message
    again = _check(_checker(tmp_path, boot_timeout_s=0.5), never)
    assert not again.reused and again.health_passed is False
