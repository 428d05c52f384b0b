"""The runtime check of one bundle: build it, boot it in a sandbox beside the probe, judge.

I/O edge: a scratch copy, tsc (emit only; the typescript level already type-checked), the
throwaway databases and the sandbox. Everything it decides is in `plan` and `judge`."""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
import weakref
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from codegen_tasks.checks.runtime.databases import PostgresThrowaways
from codegen_tasks.checks.runtime.judge import judge
from codegen_tasks.checks.runtime.plan import ProbePlan, build_plan, health_only
from codegen_tasks.checks.runtime.provision import (
    HANDLERS_UNEXERCISED,
    Provided,
    provide,
    warning,
)
from codegen_tasks.checks.runtime.report import RuntimeReport, Transcript
from codegen_tasks.checks.runtime.sandbox import SAFE_PATH, Limits, Sandbox, make_sandbox
from codegen_tasks.checks.runtime.scratch import ENTRY, build_scratch
from codegen_tasks.checks.runtime.verdicts import VerdictInputs, Verdicts, keepable, verdict_digest
from codegen_tasks.checks.runtime.warm import PROBE_FILES, Booting, WarmPool, probe_source
from codegen_tasks.checks.static.toolchain import Toolchain
from codegen_tasks.checks.static.typescript import TypeScriptChecker
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.domain.results import Contract, Finding, ValidationLevel
from codegen_tasks.domain.spec import ServiceSpec
from codegen_tasks.errors import SandboxError, ToolchainError
from codegen_tasks.ports.cache import Cache
from codegen_tasks.settings import Settings


@dataclass(frozen=True)
class RuntimeConfig:
    boot_timeout_s: float = 20.0
    call_timeout_s: float = 5.0
    limits: Limits = field(default_factory=lambda: Limits(wall_s=90.0, cpu_s=60, memory_mb=1024))
    allow_unsandboxed: bool = False
    concurrency: int = 2  # sandboxes running at once in this process

    @classmethod
    def from_settings(cls, settings: Settings) -> RuntimeConfig:
        return cls(
            boot_timeout_s=settings.runtime_boot_timeout_s,
            call_timeout_s=settings.runtime_call_timeout_s,
            limits=Limits(
                wall_s=settings.runtime_timeout_s,
                cpu_s=settings.runtime_cpu_s,
                memory_mb=settings.runtime_memory_mb,
            ),
            allow_unsandboxed=settings.runtime_allow_unsandboxed,
            concurrency=settings.runtime_concurrency,
        )


def skipped(reason: str) -> RuntimeReport:
    return RuntimeReport(skipped=reason, warnings=[warning(f"runtime check skipped: {reason}")])


class RuntimeChecker:
    def __init__(
        self,
        toolchain: Toolchain,
        config: RuntimeConfig | None = None,
        *,
        databases: PostgresThrowaways | None = None,
        work_root: Path | None = None,
        verdicts: Verdicts | None = None,
    ) -> None:
        self.toolchain = toolchain
        self.config = config or RuntimeConfig()
        self.databases = databases
        self.work_root = work_root
        self.verdicts = verdicts  # None: every check boots
        self._slots = threading.BoundedSemaphore(self.config.concurrency)
        self._warm = WarmPool(2 * self.config.concurrency)
        weakref.finalize(self, self._warm.close)  # at the latest when the process exits

    @classmethod
    def from_settings(cls, settings: Settings, cache: Cache | None = None) -> RuntimeChecker:
        """With a `cache`, verdicts are kept there (CODEGEN_CACHE_TTL_S) and reused."""
        url = settings.check_database_url
        return cls(
            Toolchain(settings.toolchain_dir),
            RuntimeConfig.from_settings(settings),
            databases=PostgresThrowaways(url) if url else None,
            work_root=settings.effective_scratch_dir,
            verdicts=Verdicts(cache, settings.cache_ttl_s) if cache is not None else None,
        )

    def check(
        self,
        spec: ServiceSpec,
        files: list[GeneratedFile],
        contracts: list[Contract],
        javascript: Mapping[str, str] | None = None,
    ) -> RuntimeReport:
        """Run the bundle: `javascript` is the build level's output (`src/main.js` → text);
        without it the bundle is compiled here (emit only)."""
        sandbox = make_sandbox(self.config.allow_unsandboxed)
        if isinstance(sandbox, str):
            return skipped(sandbox)
        try:
            self.toolchain.ensure()
        except ToolchainError as exc:
            return skipped(exc.message)
        plan = build_plan(spec, files, contracts)
        if not javascript:  # not from the build level: compiled here, the same way
            javascript = (
                TypeScriptChecker(self.toolchain, work_root=self.work_root).check(files).javascript
            )
        digest = verdict_digest(self._inputs(sandbox), spec, files, javascript, plan)
        known = self.verdicts.get(digest) if self.verdicts is not None else None
        if known is not None:
            return known.model_copy(update={"reused": True})
        with contextlib.ExitStack() as stack:
            provided = provide(stack, self.databases, sandbox, spec, files)
            booting = None if provided.sockets else self._warm.take(sandbox)
            booting = booting or self._booting(sandbox, provided.sockets)
            try:
                problem = build_scratch(booting.scratch, files, self.toolchain, javascript)
                if problem is not None:
                    failed = Finding(level=ValidationLevel.HEALTH_CHECK, message=problem)
                    return RuntimeReport(health=[failed])
                report, keep = self._run(booting, plan, provided)
            except SandboxError as exc:
                return skipped(exc.message)
            finally:
                booting.close()
        if keep and self.verdicts is not None:
            self.verdicts.put(digest, report)
        return report

    def prepare(self) -> None:
        """Start a sandbox for a check to come (an embedded run's node, when it starts), so
        that its start overlaps the generation and the compiler; at most `concurrency` x 2
        wait at once. It returns at once: the sandbox starts from the pool's own thread."""
        sandbox = make_sandbox(self.config.allow_unsandboxed)
        if isinstance(sandbox, str) or not self.toolchain.is_ready() or self._warm.full():
            return
        self._warm.start(lambda: self._booting(sandbox, {}))

    @property
    def waiting(self) -> int:
        """Sandboxes started by `prepare` and still waiting for their check."""
        return self._warm.waiting

    def release(self) -> None:
        """Stop the sandboxes still waiting for work (the run is over)."""
        self._warm.close()

    def _booting(self, sandbox: Sandbox, sockets: dict[str, Path]) -> Booting:
        node_modules, limits = self.toolchain.node_modules, self.config.limits
        return Booting(sandbox, node_modules, limits, work_root=self.work_root, sockets=sockets)

    def _inputs(self, sandbox: Sandbox) -> VerdictInputs:
        return VerdictInputs(
            platform=self.toolchain.install_dir.name,
            probe="".join(probe_source(name) for name in PROBE_FILES),
            sandbox=sandbox.name,
            databases=self.databases is not None,
            settings=repr(self.config),
        )

    def _run(
        self, booting: Booting, plan: ProbePlan, provided: Provided
    ) -> tuple[RuntimeReport, bool]:
        """The report, and whether it may be kept (see `verdicts.keepable`)."""
        sandbox = booting.sandbox
        if not sandbox.isolated:
            plan = plan.model_copy(update=_free_ports(plan))
        env = {"NODE_ENV": "production", "NO_COLOR": "1", "PORT": str(plan.tcp_port)}
        if plan.http_port is not None:
            env["HTTP_PORT"] = str(plan.http_port)
        env |= provided.env
        warnings, problems = list(provided.warnings), provided.problems
        if warnings:  # only unexercised databases warn here: their handlers cannot answer
            plan = health_only(plan)
            warnings.append(warning(HANDLERS_UNEXERCISED))
        nonce = secrets.token_hex(16)
        work = f"{nonce}\n{json.dumps(self._document(plan, env))}\n".encode()
        with self._slots:  # however many validations run, running boots stay bounded
            outcome = booting.start().finish(work, self.config.limits.wall_s)
        transcript = _transcript(nonce, outcome.stdout, outcome.stderr)
        report = judge(
            plan,
            transcript,
            boot_timeout_s=self.config.boot_timeout_s,
            call_timeout_s=self.config.call_timeout_s,
            seconds=outcome.seconds,
        )
        runtime = [*problems, *report.runtime]
        if outcome.timed_out:
            limit = self.config.limits.wall_s
            text = f"the check passed its wall-clock limit of {limit:g}s; every process was killed"
            runtime.append(Finding(level=ValidationLevel.RUNTIME, message=text))
        if not sandbox.isolated:
            warnings.append(warning("runtime check ran UNSANDBOXED (operator setting)"))
        report = report.model_copy(
            update={"runtime": runtime, "warnings": [*report.warnings, *warnings]}
        )
        keep = not problems and keepable(report, transcript, timed_out=outcome.timed_out)
        return report, keep

    def _document(self, plan: ProbePlan, env: dict[str, str]) -> dict[str, object]:
        """The probe's plan: what to send, the service's entry and environment, the limits."""
        return {
            **plan.wire(),
            "command": [ENTRY],
            "env": {**env, "PATH": SAFE_PATH},
            "bootTimeoutMs": int(self.config.boot_timeout_s * 1000),
            "callTimeoutMs": int(self.config.call_timeout_s * 1000),
        }


def _transcript(nonce: str, stdout: str, stderr: str) -> Transcript:
    """The probe's line (the one its nonce prefixes), or a probe error."""
    ours = [line for line in stdout.splitlines() if line.startswith(f"{nonce} ")]
    try:
        return Transcript.model_validate(json.loads(ours[-1].removeprefix(f"{nonce} ")))
    except (IndexError, ValueError):
        tail = (stderr or stdout).strip()[-800:] or "no output"
        return Transcript(probe_error=f"the probe printed no transcript: {tail}")


def _free_ports(plan: ProbePlan) -> dict[str, int | None]:
    """Unsandboxed runs share the host's network: ports the OS says are free."""

    def free() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port: int = probe.getsockname()[1]
            return port

    return {"tcp_port": free(), "http_port": free() if plan.http_port is not None else None}
