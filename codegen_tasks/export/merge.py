"""The three-way merge of one file tree: base (last export), ours (the user's), theirs (new).

Pure functions on plain values. Line merges use `merge3` (the Breezy project's maintained
three-way merge): it runs in-process on lists of lines, so the same core serves the CLI and
the backend task without temp files or a `git` binary on the workers.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

import merge3
from pydantic import BaseModel, ConfigDict

from codegen_tasks.domain.wire import Message

OURS_LABEL = "yours"
THEIRS_LABEL = "generated"


class FileAction(StrEnum):
    ADDED = "added"  # new in the generated code, absent here: written
    REPLACED = "replaced"  # unchanged here since the last export: the new version is written
    KEPT = "kept"  # changed here only (or dropped by the generator but changed here): untouched
    MERGED = "merged"  # changed on both sides, merged line-wise without conflict: written
    CONFLICT = "conflict"  # overlapping changes: written with conflict markers (or left, listed)
    REMOVED = "removed"  # dropped by the generator and unchanged here: deleted
    UNCHANGED = "unchanged"  # already what the merge would write: untouched


WRITES = frozenset({FileAction.ADDED, FileAction.REPLACED, FileAction.MERGED})


class FileChange(Message):
    """What the merge does to one file, as reported to users and backends."""

    path: str
    action: FileAction
    reason: str | None = None
    conflicts: int = 0  # conflict regions marked in the written file


class FileMerge(BaseModel):
    """A decision plus what it writes: `content` to write, or `delete`, or neither."""

    model_config = ConfigDict(frozen=True)

    change: FileChange
    content: str | None = None
    delete: bool = False


class MergedText(BaseModel):
    text: str
    conflicts: int


def _lines(text: str) -> list[str]:
    """Lines with their endings; a missing final newline is added so markers start a line."""
    if text and not text.endswith("\n"):
        text += "\n"
    return text.splitlines(keepends=True)


def merge_text(
    base: str, ours: str, theirs: str, *, theirs_label: str = THEIRS_LABEL
) -> MergedText:
    """Line-wise three-way merge; overlapping changes get standard conflict markers."""
    merger = merge3.Merge3(_lines(base), _lines(ours), _lines(theirs))
    regions = list(merger.reprocess_merge_regions(merger.merge_regions()))
    conflicts = sum(region[0] == "conflict" for region in regions)
    text = "".join(merger.merge_lines(name_a=OURS_LABEL, name_b=theirs_label, reprocess=True))
    if not ours.endswith("\n") and not theirs.endswith("\n") and text.endswith("\n"):
        text = text[:-1]
    return MergedText(text=text, conflicts=conflicts)


def _decision(
    path: str,
    action: FileAction,
    reason: str | None = None,
    *,
    content: str | None = None,
    delete: bool = False,
    conflicts: int = 0,
) -> FileMerge:
    change = FileChange(path=path, action=action, reason=reason, conflicts=conflicts)
    return FileMerge(change=change, content=content, delete=delete)


def _dropped(path: str, base: str, ours: str | None) -> FileMerge | None:
    if ours is None:
        return None  # gone on both sides: nothing to do or say
    if ours == base:
        return _decision(path, FileAction.REMOVED, "dropped by the generator", delete=True)
    return _decision(
        path, FileAction.KEPT, "dropped by the generator but changed here: kept, not deleted"
    )


def _both_present(
    path: str, base: str | None, ours: str, theirs: str, theirs_label: str
) -> FileMerge:
    if ours == theirs:
        return _decision(path, FileAction.UNCHANGED)
    if base is not None and ours == base:
        return _decision(path, FileAction.REPLACED, content=theirs)
    if base is not None and theirs == base:
        return _decision(path, FileAction.KEPT, "changed here only")
    merged = merge_text(base or "", ours, theirs, theirs_label=theirs_label)
    if merged.conflicts:
        reason = "changed on both sides" if base is not None else "no base: not exported here"
        return _decision(
            path, FileAction.CONFLICT, reason, content=merged.text, conflicts=merged.conflicts
        )
    if merged.text == ours:
        return _decision(path, FileAction.KEPT, "the generator's change is already here")
    return _decision(path, FileAction.MERGED, "changed on both sides", content=merged.text)


def decide(
    path: str,
    base: str | None,
    ours: bytes | None,
    theirs: str | None,
    *,
    theirs_label: str = THEIRS_LABEL,
) -> FileMerge | None:
    """The merge of one path; None when there is nothing to do or report."""
    if ours is not None:
        try:
            text: str | None = ours.decode("utf-8")
        except UnicodeDecodeError:
            if theirs == base:
                return _decision(path, FileAction.KEPT, "changed here only")
            return _decision(path, FileAction.CONFLICT, "not UTF-8 text here: left as it is")
    else:
        text = None
    if theirs is None:
        return None if base is None else _dropped(path, base, text)
    if text is None:
        if base is None:
            return _decision(path, FileAction.ADDED, content=theirs)
        if base == theirs:
            return _decision(path, FileAction.KEPT, "deleted here; the generator did not change it")
        return _decision(
            path,
            FileAction.CONFLICT,
            "deleted here but changed by the generator: the new version is written",
            content=theirs,
        )
    return _both_present(path, base, text, theirs, theirs_label)


def merge_trees(
    base: Mapping[str, str],
    ours: Mapping[str, bytes | None],
    theirs: Mapping[str, str],
    *,
    theirs_label: str = THEIRS_LABEL,
) -> list[FileMerge]:
    """Every path of base or theirs, in path order. `ours` holds those paths as found (None:
    absent); paths in neither base nor theirs (the user's own files) are never looked at."""
    decisions = (
        decide(path, base.get(path), ours.get(path), theirs.get(path), theirs_label=theirs_label)
        for path in sorted(set(base) | set(theirs))
    )
    return [d for d in decisions if d is not None]


def conflicts(merges: list[FileMerge]) -> list[str]:
    return [m.change.path for m in merges if m.change.action is FileAction.CONFLICT]


def summary(merges: list[FileMerge]) -> dict[str, int]:
    """How many files got each action (every action listed, zeros included)."""
    counts = {action.value: 0 for action in FileAction}
    for m in merges:
        counts[m.change.action.value] += 1
    return counts
