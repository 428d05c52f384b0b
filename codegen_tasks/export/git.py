"""`codegen export --git-branch B`: the export committed on a branch of its own.

The branch starts at HEAD and is filled in a temporary `git worktree`, so the user's checked-out
branch and working tree stay exactly as they are; ours is DIR as committed at HEAD (uncommitted
changes below DIR are refused). The user then merges or reviews the branch with git's tools.
Conflicted files are committed with their markers and listed in the commit message.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from codegen_tasks.errors import ExportError
from codegen_tasks.export.exporter import ExportReport, GitCommit

FALLBACK_IDENTITY = ("-c", "user.name=codegen", "-c", "user.email=codegen@localhost")


def _git(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, timeout=120
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ExportError(f"git {args[0]} failed: {exc}") from exc
    if check and done.returncode != 0:
        raise ExportError(f"git {' '.join(args[:2])} failed: {done.stderr.strip()}")
    return done


def _top_and_prefix(out: Path) -> tuple[Path, str]:
    if not out.is_dir():
        raise ExportError(f"--git-branch needs an existing directory inside a git work tree: {out}")
    done = _git(out, "rev-parse", "--show-toplevel", check=False)
    if done.returncode != 0:
        raise ExportError(f"{out} is not inside a git work tree (--git-branch)")
    top = Path(done.stdout.strip()).resolve()
    return top, out.resolve().relative_to(top).as_posix()


def _check_ready(top: Path, prefix: str, branch: str) -> None:
    if _git(top, "check-ref-format", "--branch", branch, check=False).returncode != 0:
        raise ExportError(f"{branch!r} is not a valid branch name")
    if _git(top, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False).stdout:
        raise ExportError(f"branch {branch!r} exists already; name a new one")
    if _git(top, "rev-parse", "--verify", "--quiet", "HEAD", check=False).returncode != 0:
        raise ExportError("the repository has no commit yet; commit once before --git-branch")
    dirty = _git(top, "status", "--porcelain", "--", prefix).stdout.strip()
    if dirty:
        raise ExportError(f"uncommitted changes below {prefix}: commit or stash them first")


def _message(report: ExportReport) -> str:
    runs = sorted({e.run_id for e in report.exported if e.run_id})
    lines = [f"codegen export of project {report.project_id}", ""]
    lines += [f"run {run}" for run in runs]
    if report.conflicts:
        lines += ["", "Conflicts (marked in the files):", *[f"  {p}" for p in report.conflicts]]
    return "\n".join(lines) + "\n"


def _identity(top: Path) -> tuple[str, ...]:
    configured = _git(top, "config", "--get", "user.email", check=False).stdout.strip()
    return () if configured else FALLBACK_IDENTITY


def export_on_branch(
    out: Path, branch: str, export: Callable[[Path], ExportReport]
) -> ExportReport:
    """Run `export(dir)` in a worktree of a new branch from HEAD and commit what it wrote."""
    top, prefix = _top_and_prefix(out)
    _check_ready(top, prefix, branch)
    with tempfile.TemporaryDirectory(prefix="codegen-export-") as scratch:
        worktree = Path(scratch) / "tree"
        _git(top, "worktree", "add", "--quiet", "-b", branch, str(worktree), "HEAD")
        try:
            report = export(worktree / prefix if prefix != "." else worktree)
            commit = _commit(top, worktree, prefix, report)
        except BaseException:
            _remove(top, worktree)
            _git(top, "branch", "-D", branch, check=False)
            raise
        _remove(top, worktree)
    report.git = GitCommit(branch=branch, commit=commit)
    report.out = str(out)
    for service in report.exported:
        service.path = str(out / Path(service.path).name)
    return report


def _commit(top: Path, worktree: Path, prefix: str, report: ExportReport) -> str | None:
    _git(worktree, "add", "--all", "--", prefix)
    if _git(worktree, "diff", "--cached", "--quiet", check=False).returncode == 0:
        return None
    _git(worktree, *_identity(top), "commit", "--quiet", "-m", _message(report))
    return _git(worktree, "rev-parse", "HEAD").stdout.strip()


def _remove(top: Path, worktree: Path) -> None:
    _git(top, "worktree", "remove", "--force", str(worktree), check=False)
    _git(top, "worktree", "prune", check=False)
