"""Runtime verdicts kept by what decides them, so an unchanged bundle is never booted twice.

The key digests everything the verdict depends on: the bundle's files and emitted
JavaScript, the service spec and the probe plan, the platform (the toolchain's pinned
package set), the probe, the check's limits, the sandbox, and whether throwaway databases
exist. Only verdicts that do not depend on the clock or on a service outside the bundle
are kept: no timeout of any kind, no database trouble, no probe error, nothing skipped."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from codegen_tasks.adapters.keys import runtime_verdict_key
from codegen_tasks.checks.runtime.plan import ProbePlan
from codegen_tasks.checks.runtime.report import RuntimeReport, Transcript
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.errors import CacheError
from codegen_tasks.ports.cache import Cache


@dataclass(frozen=True)
class VerdictInputs:
    """What a verdict depends on besides the bundle (the same for every bundle of a check)."""

    platform: str  # the toolchain's install name: a hash of its pinned package set
    probe: str  # the probe's source
    sandbox: str
    databases: bool  # throwaway databases are configured
    settings: str  # the check's timeouts and limits, as text


def verdict_digest(
    inputs: VerdictInputs,
    spec: ServiceSpec,
    files: list[GeneratedFile],
    javascript: Mapping[str, str],
    plan: ProbePlan,
) -> str:
    document = {
        "inputs": asdict(inputs),
        "spec": spec.model_dump(mode="json"),
        "files": sorted((f.path, f.sha256) for f in files),
        "javascript": sorted(
            (name, hashlib.sha256(code.encode("utf-8")).hexdigest())
            for name, code in javascript.items()
        ),
        "plan": plan.model_dump(mode="json"),
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def keepable(report: RuntimeReport, transcript: Transcript, *, timed_out: bool) -> bool:
    """A verdict the same inputs would give again: none of it came from a clock or a
    service outside the bundle."""
    if report.skipped or timed_out or transcript.probe_error:
        return False
    if not transcript.listening and transcript.exited is None:  # the boot timed out
        return False
    return not any(step.timed_out for step in transcript.steps)


class Verdicts:
    """Verdicts in a cache (Redis for workers, a local folder in embedded mode); an
    unreachable cache only means booting again."""

    def __init__(self, cache: Cache, ttl_s: int) -> None:
        self.cache = cache
        self.ttl_s = ttl_s

    def get(self, digest: str) -> RuntimeReport | None:
        try:
            text = self.cache.get(runtime_verdict_key(digest))
        except CacheError:
            return None
        if text is None:
            return None
        try:
            return RuntimeReport.model_validate_json(text)
        except ValueError:  # written by another version: booted again
            return None

    def put(self, digest: str, report: RuntimeReport) -> None:
        try:
            self.cache.set(runtime_verdict_key(digest), report.model_dump_json(), self.ttl_s)
        except CacheError:
            return
