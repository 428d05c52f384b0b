"""The pinned TypeScript + NestJS toolchain, installed once into a shared cache directory.

The packages are the dependency platform (`codegen_tasks.platform`), operator extras
included. TypeScript is the native
compiler (`typescript@7`): npm installs it as a per-platform optional package
(`@typescript/typescript-<os>-<arch>`) whose executable is run directly, without the
package's Node.js launcher in front of it (~0.1 s per run). The install directory's
name carries a hash of that file, so bumping a version installs a fresh toolchain next to
the old one. Installs run `npm install --ignore-scripts` in a temporary directory that is
renamed into place, under a file lock, so concurrent workers never install twice and never
see a half-installed toolchain. Generated package.json files are never installed.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from codegen_tasks.errors import ToolchainError
from codegen_tasks.platform import Platform, load_platform
from codegen_tasks.settings import Settings, get_settings

READY_MARKER = ".codegen-toolchain-ready"
# Python's names for the platform -> npm's (`process.platform`, `process.arch`)
NODE_PLATFORMS = {"win32": "win32", "darwin": "darwin", "linux": "linux", "freebsd": "freebsd"}
NODE_ARCHES = {
    "x86_64": "x64", "amd64": "x64", "aarch64": "arm64", "arm64": "arm64", "armv7l": "arm",
    "ppc64le": "ppc64", "s390x": "s390x", "riscv64": "riscv64", "loongarch64": "loong64",
}  # fmt: skip
NPM_FLAGS = ("install", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error")
DEFAULT_INSTALL_TIMEOUT_S = 600.0


def manifest_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _str_map(value: object) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def install_manifest_text(text: str) -> str:
    """What npm installs: the manifest's packages and its runtime-only ones (the runtime
    check runs services with these node_modules)."""
    manifest = json.loads(text)
    runtime = _str_map(manifest.get("codegenRuntimeOnly"))
    dependencies = {**_str_map(manifest.get("dependencies")), **runtime}
    text_out: str = json.dumps({**manifest, "dependencies": dependencies}, indent=2) + "\n"
    return text_out


class Toolchain:
    """The installed toolchain under `root`; `ensure()` installs it on first use.

    `manifest` (package.json text), `prefix` and `ready_file` (installed when the install is
    complete) install another pinned package set the same way (the contract tools); the
    default is the TypeScript + NestJS toolchain, complete with its native compiler."""

    def __init__(
        self,
        root: Path,
        *,
        node: str = "node",
        npm: str = "npm",
        install_timeout_s: float = DEFAULT_INSTALL_TIMEOUT_S,
        manifest: str | None = None,
        prefix: str = "ts",
        ready_file: Path | None = None,
        platform: Platform | None = None,
    ) -> None:
        self.root = root.expanduser()
        self.node = node
        self.npm = npm
        self.install_timeout_s = install_timeout_s
        self.manifest_given = manifest is not None
        self.platform = platform or load_platform()
        if manifest is None:  # the dependency platform, operator extras included
            manifest = self.platform.install_manifest_text()
        self.manifest = manifest
        self.ready_file = native_tsc() if ready_file is None else ready_file
        self.install_dir = self.root / f"{prefix}-{manifest_hash(self.manifest)}"

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> Toolchain:
        settings = settings or get_settings()
        platform = load_platform(settings.platform_extra_packages)
        return cls(settings.toolchain_dir, platform=platform)

    @property
    def node_modules(self) -> Path:
        return self.install_dir / "node_modules"

    @property
    def tsc(self) -> Path:
        return self.install_dir / native_tsc()

    def is_ready(self) -> bool:
        marker = self.install_dir / READY_MARKER
        return marker.is_file() and (self.install_dir / self.ready_file).is_file()

    def node_executable(self) -> str:
        """The absolute path of node, or ToolchainError when it is missing."""
        return _which(self.node, "node")

    def tsc_command(self) -> list[str]:
        """The native compiler's executable, installing the toolchain first if needed."""
        self.ensure()
        return [str(self.tsc)]

    def ensure(self) -> Path:
        """Install the pinned packages once; return the install directory."""
        if self.is_ready():
            return self.install_dir
        self.node_executable()
        npm = _which(self.npm, "npm")
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ToolchainError(f"cannot create toolchain directory: {exc}") from exc
        with _file_lock(self.root / f"{self.install_dir.name}.lock"):
            if not self.is_ready():
                self._install(npm)
        return self.install_dir

    def _install(self, npm: str) -> None:
        if self.install_dir.exists():  # a leftover without the ready marker
            shutil.rmtree(self.install_dir, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".install-", dir=self.root))
        try:
            (staging / "package.json").write_text(
                install_manifest_text(self.manifest), encoding="utf-8"
            )
            _run_npm(npm, staging, self.install_timeout_s)
            if not (staging / self.ready_file).is_file():
                raise ToolchainError(
                    f"npm install finished but {self.ready_file} is missing"
                    + ("" if self.manifest_given else ": no native compiler for this platform")
                )
            marker = manifest_hash(self.manifest) + "\n"
            (staging / READY_MARKER).write_text(marker, encoding="utf-8")
            os.replace(staging, self.install_dir)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)


def native_tsc() -> Path:
    """Where npm puts this platform's native compiler, relative to the install directory."""
    os_name = sys.platform.rstrip("0123456789")
    arch = platform.machine().lower()
    package = f"typescript-{NODE_PLATFORMS.get(os_name, os_name)}-{NODE_ARCHES.get(arch, arch)}"
    exe = "tsc.exe" if os_name == "win32" else "tsc"
    return Path("node_modules/@typescript", package, "lib", exe)


def _which(command: str, label: str) -> str:
    found = shutil.which(command)
    if found is None:
        raise ToolchainError(f"{label} is not installed or not on PATH ({command!r})")
    return found


def _run_npm(npm: str, cwd: Path, timeout_s: float) -> None:
    env = {**os.environ, "npm_config_update_notifier": "false"}
    try:
        proc = subprocess.run(
            [npm, *NPM_FLAGS],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolchainError(f"npm install timed out after {timeout_s:.0f}s") from exc
    except OSError as exc:
        raise ToolchainError(f"npm could not be started: {exc}") from exc
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip()[-2000:]
        raise ToolchainError(f"npm install failed (exit {proc.returncode}): {tail}")


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive advisory lock held across processes (released on process death)."""
    with path.open("a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
