"""A check worker SIGKILLed mid-compile: its `tsc` dies with it, and the restarted worker
removes the scratch folder the dead one left (generated sources included)."""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from bench.harness import procfile_workers
from codegen_tasks.testing import FakeOpenRouter
from tests.fixtures.faults import RedisServer, production_env, wait_until
from tests.integration.test_faults_outages import start_run

pytestmark = pytest.mark.integration


def processes_under(folder: Path) -> list[int]:
    """Processes whose working directory lies in `folder` (a compiler in a scratch dir)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cwd = os.readlink(entry / "cwd")
        except OSError:
            continue
        if cwd.startswith(f"{folder}/"):
            found.append(int(entry.name))
    return found


def start_check_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    argv = procfile_workers(env)["worker-check"]
    with log.open("ab") as out:
        return subprocess.Popen(
            [*argv, "--without-mingle", "-l", "INFO"],
            env=env,
            cwd=log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def kill(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=30)


def test_a_check_worker_killed_mid_compile_leaves_no_scratch_or_compiler(
    tmp_path: Path,
    scaffold_server: FakeOpenRouter,
    private_redis: RedisServer,
    postgres_url: str,
    s3_bucket: tuple[str, str],
) -> None:
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    checks = {"CODEGEN_RUNTIME_CHECK": "false", "CODEGEN_SCRATCH_DIR": str(scratch)}
    env = production_env(scaffold_server, private_redis.url, postgres_url, s3_bucket, **checks) | {
        "CODEGEN_VALIDATE_TYPESCRIPT": "true"
    }
    others = {k: v for k, v in procfile_workers(env).items() if k != "worker-check"}
    started = [
        subprocess.Popen(
            [*argv, "--without-mingle", "-l", "INFO"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        for argv in others.values()
    ]
    check = start_check_worker(env, tmp_path / "check.log")
    started.append(check)
    try:
        start_run(private_redis.url, postgres_url, ["orders", "billing", "stock"], "killed-check")
        compilers = wait_until(lambda: processes_under(scratch), 300, "a compiler at work")
        left = [p for p in scratch.iterdir() if p.name.startswith("codegen-tsc-")]
        assert left, list(scratch.iterdir())
        kill(check)
        wait_until(lambda: not processes_under(scratch), 10, f"the compilers' death {compilers}")
        assert all(p.exists() for p in left)  # nothing removed them yet: the owner is dead
        started.append(start_check_worker(env, tmp_path / "check.log"))
        wait_until(lambda: not any(p.exists() for p in left), 60, "the start-up sweep")
    finally:
        for process in started:
            kill(process)
