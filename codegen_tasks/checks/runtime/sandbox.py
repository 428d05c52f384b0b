"""Where generated code runs: bubblewrap, or (only when an operator allows it) no sandbox.

The bubblewrap sandbox gives the process its own user, PID, IPC, UTS and network namespaces
(loopback only), an empty environment, a read-only system, the scratch copy of the bundle as
the only writable place, and the toolchain's node_modules read-only. CPU time, address space
and file sizes are capped with prlimit; the wall clock by killing the whole process group
(the PID namespace dies with it). A database is reachable only through a bound Unix socket.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from codegen_tasks.errors import SandboxError

APP_DIR = "/service/app"
PROBE_DIR = "/probe"
NODE_MODULES = "/service/node_modules"
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"
_SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64")
_HOSTS = "127.0.0.1 localhost\n::1 localhost\n"
SANDBOX_UID = 65534


@dataclass(frozen=True)
class Limits:
    wall_s: float
    cpu_s: int
    memory_mb: int
    file_mb: int = 64


@dataclass(frozen=True)
class Job:
    """Run `node probe.js plan.json` over a scratch dir holding `app/` and `probe/`."""

    scratch: Path
    node_modules: Path
    limits: Limits
    stdin: bytes = b""  # the probe's nonce
    sockets: dict[str, Path] = field(default_factory=dict)  # inside path → host socket dir


@dataclass(frozen=True)
class Outcome:
    stdout: str
    stderr: str
    returncode: int | None
    timed_out: bool
    seconds: float


class Sandbox(Protocol):
    name: str
    isolated: bool  # network, files and environment cut off

    def app_dir(self, scratch: Path) -> str: ...

    def socket_dir(self, inside: str, host: Path) -> str: ...

    def run(self, job: Job) -> Outcome: ...


def _prlimit(limits: Limits) -> list[str]:
    mb = 1024 * 1024
    return [
        _which("prlimit"),
        f"--cpu={limits.cpu_s}",
        f"--data={limits.memory_mb * mb}",
        f"--fsize={limits.file_mb * mb}",
        "--core=0",
        "--",
    ]


def _which(command: str) -> str:
    found = shutil.which(command)
    if found is None:
        raise SandboxError(f"{command} is not installed", tool=command)
    return found


def _node() -> str:
    return os.path.realpath(_which("node"))


def run_group(
    command: list[str], *, cwd: Path, env: dict[str, str], wall_s: float, stdin: bytes = b""
) -> Outcome:
    """Run in a new session; on the wall-clock limit (and always at the end) kill the group."""
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except OSError as exc:
        raise SandboxError(f"cannot start the sandbox: {exc}", command=command[0]) from exc
    timed_out = False
    try:
        out, err = proc.communicate(input=stdin, timeout=wall_s)
    except subprocess.TimeoutExpired:
        timed_out = True
        _kill_group(proc.pid)
        out, err = proc.communicate()
    finally:
        _kill_group(proc.pid)
    return Outcome(
        stdout=out.decode("utf-8", errors="replace"),
        stderr=err.decode("utf-8", errors="replace")[-8000:],
        returncode=proc.returncode,
        timed_out=timed_out,
        seconds=time.monotonic() - started,
    )


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


class Bubblewrap:
    """The real sandbox (bubblewrap from the OS packages)."""

    name = "bubblewrap"
    isolated = True

    def app_dir(self, scratch: Path) -> str:
        return APP_DIR

    def socket_dir(self, inside: str, host: Path) -> str:
        return inside

    def command(self, job: Job) -> list[str]:
        node = _node()
        args = [_which("bwrap"), "--unshare-all", "--die-with-parent", "--new-session"]
        args += ["--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        args += ["--ro-bind", "/usr", "/usr"]
        for link in _SYSTEM_LINKS:
            if os.path.islink(link):
                args += ["--symlink", os.readlink(link), link]
            elif os.path.isdir(link):
                args += ["--ro-bind", link, link]
        if not node.startswith("/usr/"):
            prefix = str(Path(node).parent.parent)
            args += ["--ro-bind", prefix, prefix]
        args += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        args += ["--ro-bind", str(job.scratch / "hosts"), "/etc/hosts"]
        args += ["--bind", str(job.scratch / "app"), APP_DIR]
        args += ["--ro-bind", str(job.node_modules), NODE_MODULES]
        args += ["--ro-bind", str(job.scratch / "probe"), PROBE_DIR]
        for inside, host in job.sockets.items():
            args += ["--ro-bind", str(host), inside]
        args += ["--clearenv", "--setenv", "PATH", SAFE_PATH, "--setenv", "HOME", "/tmp"]
        args += ["--chdir", APP_DIR, "--", node, f"{PROBE_DIR}/probe.js", f"{PROBE_DIR}/plan.json"]
        return [*_prlimit(job.limits), *args]

    def run(self, job: Job) -> Outcome:
        (job.scratch / "hosts").write_text(_HOSTS, encoding="utf-8")
        wall_s = job.limits.wall_s
        return run_group(self.command(job), cwd=job.scratch, env={}, wall_s=wall_s, stdin=job.stdin)


class Unsandboxed:
    """No isolation but an empty environment, the scratch cwd and the same limits. Used
    only when the operator allows unsandboxed runs (CODEGEN_RUNTIME_ALLOW_UNSANDBOXED)."""

    name = "unsandboxed"
    isolated = False

    def app_dir(self, scratch: Path) -> str:
        return str(scratch / "app")

    def socket_dir(self, inside: str, host: Path) -> str:
        return str(host)

    def run(self, job: Job) -> Outcome:
        link = job.scratch / "node_modules"
        if not link.exists():
            link.symlink_to(job.node_modules, target_is_directory=True)
        probe = job.scratch / "probe"
        script, plan = str(probe / "probe.js"), str(probe / "plan.json")
        command = [*_prlimit(job.limits), _node(), script, plan]
        env = {"PATH": SAFE_PATH, "HOME": str(job.scratch)}
        return run_group(
            command, cwd=job.scratch / "app", env=env, wall_s=job.limits.wall_s, stdin=job.stdin
        )


@cache
def bubblewrap_problem() -> str | None:
    """None when a bubblewrap sandbox with its own network namespace can be made here."""
    try:
        command = [
            _which("bwrap"),
            "--unshare-all",
            "--uid",
            str(SANDBOX_UID),
            "--ro-bind",
            "/",
            "/",
            "--",
            _which("true"),
        ]
        _which("prlimit")
    except SandboxError as exc:
        return exc.message
    proc = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    if proc.returncode != 0:
        return f"bubblewrap cannot create namespaces here: {proc.stderr.strip()[:300]}"
    return None


def make_sandbox(allow_unsandboxed: bool) -> Sandbox | str:
    """The sandbox to use, or why there is none."""
    problem = bubblewrap_problem()
    if problem is None:
        return Bubblewrap()
    if allow_unsandboxed:
        return Unsandboxed()
    return f"no sandbox: {problem} (set CODEGEN_RUNTIME_ALLOW_UNSANDBOXED=true to run anyway)"
