"""Where generated code runs: bubblewrap, or (only when an operator allows it) no sandbox.

The bubblewrap sandbox gives the process its own user, PID, IPC, UTS and network namespaces
(loopback only), an empty environment, a read-only system, the scratch copy of the bundle as
the only writable place, and the toolchain's node_modules read-only. CPU time, address space
and file sizes are capped with prlimit; the wall clock by killing the whole process group
(the PID namespace dies with it). A database is reachable only through a bound Unix socket.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Protocol

from codegen_tasks.checks.children import kill_group, with_parent_death
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
    """Run `node probe.js APP_DIR` over a scratch dir holding `app/` and `probe/`; its work
    (the nonce and the plan) comes later, on stdin (`Started.finish`)."""

    scratch: Path
    node_modules: Path
    limits: Limits
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

    def socket_dir(self, inside: str, host: Path) -> str: ...

    def start(self, job: Job) -> Started:
        """The sandbox up, the probe waiting for its work and the service's process loading
        the platform."""
        ...


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


class Started:
    """A started process group, waiting for its stdin; killed whole at the end."""

    def __init__(self, command: list[str], *, cwd: Path, env: dict[str, str]) -> None:
        try:
            self.proc = subprocess.Popen(
                with_parent_death(command),
                cwd=cwd,
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise SandboxError(f"cannot start the sandbox: {exc}", command=command[0]) from exc

    def finish(self, stdin: bytes, wall_s: float) -> Outcome:
        """Give it its work; on the wall-clock limit (and always at the end) kill the group.
        The limit counts from here: a sandbox started early waits for free."""
        started = time.monotonic()
        timed_out = False
        try:
            out, err = self.proc.communicate(input=stdin, timeout=wall_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(self.proc.pid)
            out, err = self.proc.communicate()
        finally:
            kill_group(self.proc.pid)
        return Outcome(
            stdout=out.decode("utf-8", errors="replace"),
            stderr=err.decode("utf-8", errors="replace")[-8000:],
            returncode=self.proc.returncode,
            timed_out=timed_out,
            seconds=time.monotonic() - started,
        )

    def discard(self) -> None:
        """Killed unused (its work never came)."""
        kill_group(self.proc.pid)
        self.proc.communicate()


class Bubblewrap:
    """The real sandbox (bubblewrap from the OS packages)."""

    name = "bubblewrap"
    isolated = True

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
        args += ["--chdir", APP_DIR, "--", node, f"{PROBE_DIR}/probe.js", APP_DIR]
        return [*_prlimit(job.limits), *args]

    def start(self, job: Job) -> Started:
        (job.scratch / "hosts").write_text(_HOSTS, encoding="utf-8")
        return Started(self.command(job), cwd=job.scratch, env={})


class Unsandboxed:
    """No isolation but an empty environment, the scratch cwd and the same limits. Used
    only when the operator allows unsandboxed runs (CODEGEN_RUNTIME_ALLOW_UNSANDBOXED)."""

    name = "unsandboxed"
    isolated = False

    def socket_dir(self, inside: str, host: Path) -> str:
        return str(host)

    def start(self, job: Job) -> Started:
        link = job.scratch / "node_modules"
        if not link.exists():
            link.symlink_to(job.node_modules, target_is_directory=True)
        app = job.scratch / "app"
        command = [
            *_prlimit(job.limits),
            _node(),
            str(job.scratch / "probe" / "probe.js"),
            str(app),
        ]
        env = {"PATH": SAFE_PATH, "HOME": str(job.scratch)}
        return Started(command, cwd=app, env=env)


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
