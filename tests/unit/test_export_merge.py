"""The export's pure core: one decision per file, line merges, the record, merged bundles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from codegen_tasks.adapters.storage.bundles import read_bundle, write_bundle
from codegen_tasks.api.payloads import MergeBundlePayload
from codegen_tasks.domain.files import GeneratedFile
from codegen_tasks.errors import NotFoundError, PayloadError
from codegen_tasks.export.bundles import merge_bundles, merged_files
from codegen_tasks.export.exporter import base_files
from codegen_tasks.export.merge import (
    FileAction,
    conflicts,
    decide,
    merge_text,
    merge_trees,
    summary,
)
from codegen_tasks.export.record import ExportedService, ExportRecord, updated_record
from codegen_tasks.pipeline.context import Deps
from tests.unit.conftest import MakeDeps

BASE = "import a;\n\nfunction one() {\n  return 1;\n}\n\nfunction two() {\n  return 2;\n}\n"
USER = BASE.replace("  return 1;\n", "  // reviewed\n  return 1;\n")
NEW = BASE.replace("import a;\n", "import a;\nimport b;\n")
CLASH = BASE.replace("  return 2;\n", "  return 22;\n")
NEW_CLASH = BASE.replace("  return 2;\n", "  return 2 + 0;\n")


def _enc(text: str | None) -> bytes | None:
    return None if text is None else text.encode()


@pytest.mark.parametrize(
    ("base", "ours", "theirs", "action", "writes", "deletes"),
    [
        (None, None, NEW, FileAction.ADDED, NEW, False),
        (BASE, BASE, NEW, FileAction.REPLACED, NEW, False),
        (BASE, USER, BASE, FileAction.KEPT, None, False),
        (BASE, NEW, NEW, FileAction.UNCHANGED, None, False),
        (BASE, BASE, None, FileAction.REMOVED, None, True),
        (BASE, USER, None, FileAction.KEPT, None, False),
        (BASE, None, BASE, FileAction.KEPT, None, False),  # the user deleted it: respected
        (BASE, None, NEW, FileAction.CONFLICT, NEW, False),  # deleted here, changed there
    ],
)
def test_each_action(
    base: str | None,
    ours: str | None,
    theirs: str | None,
    action: FileAction,
    writes: str | None,
    deletes: bool,
) -> None:
    decision = decide("f.ts", base, _enc(ours), theirs)
    assert decision is not None
    assert decision.change.action is action
    assert decision.content == writes
    assert decision.delete is deletes


def test_gone_on_both_sides_is_not_reported() -> None:
    assert decide("f.ts", BASE, None, None) is None


def test_both_changed_apart_merge_cleanly() -> None:
    decision = decide("f.ts", BASE, _enc(USER), NEW)
    assert decision is not None and decision.change.action is FileAction.MERGED
    assert decision.content == "import a;\nimport b;\n" + USER.removeprefix("import a;\n")
    assert decision.change.conflicts == 0


def test_overlapping_changes_get_standard_markers() -> None:
    decision = decide("f.ts", BASE, _enc(CLASH), NEW_CLASH, theirs_label="generated (run r2)")
    assert decision is not None and decision.change.action is FileAction.CONFLICT
    assert decision.change.conflicts == 1
    assert decision.content is not None
    assert (
        "<<<<<<< yours\n  return 22;\n=======\n  return 2 + 0;\n>>>>>>> generated (run r2)\n"
        in decision.content
    )
    assert decision.content.startswith("import a;\n")


def test_a_file_at_a_new_generated_path_the_user_already_has_conflicts_unless_equal() -> None:
    same = decide("f.ts", None, _enc(NEW), NEW)
    assert same is not None and same.change.action is FileAction.UNCHANGED
    clash = decide("f.ts", None, _enc("mine\n"), NEW)
    assert clash is not None and clash.change.action is FileAction.CONFLICT
    assert clash.content is not None and "mine\n" in clash.content and NEW in clash.content


def test_generator_change_already_present_is_kept() -> None:
    ours = USER.replace("import a;\n", "import a;\nimport b;\n")
    decision = decide("f.ts", BASE, _enc(ours), NEW)
    assert decision is not None and decision.change.action is FileAction.KEPT
    assert decision.content is None


def test_binary_user_file_is_never_rewritten() -> None:
    decision = decide("f.ts", BASE, b"\xff\xfe", NEW)
    assert decision is not None and decision.change.action is FileAction.CONFLICT
    assert decision.content is None and not decision.delete


def test_missing_final_newlines_do_not_glue_markers_to_code() -> None:
    merged = merge_text("a\nb", "a\nB", "a\nb2")
    assert merged.conflicts == 1
    assert "B\n=======\n" in merged.text and "b2\n>>>>>>> generated" in merged.text
    clean = merge_text("a\nb", "A\nb", "a\nb")
    assert clean.text == "A\nb" and clean.conflicts == 0


def test_trees_cover_base_and_theirs_only_and_count_actions() -> None:
    base = {"s/keep.ts": BASE, "s/gone.ts": BASE, "s/edited-gone.ts": BASE}
    ours = {"s/keep.ts": _enc(USER), "s/gone.ts": _enc(BASE), "s/edited-gone.ts": _enc(USER)}
    theirs = {"s/keep.ts": NEW, "s/new.ts": NEW}
    merges = merge_trees(base, ours, theirs)
    actions = {m.change.path: m.change.action for m in merges}
    assert actions == {
        "s/edited-gone.ts": FileAction.KEPT,
        "s/gone.ts": FileAction.REMOVED,
        "s/keep.ts": FileAction.MERGED,
        "s/new.ts": FileAction.ADDED,
    }
    assert conflicts(merges) == []
    counts = summary(merges)
    assert counts["merged"] == 1 and counts["conflict"] == 0 and sum(counts.values()) == 4


def test_merged_bundle_keeps_user_only_files_and_applies_decisions() -> None:
    base = {"a.ts": BASE, "gone.ts": BASE}
    ours = {"a.ts": USER, "gone.ts": BASE, "mine.ts": "mine\n"}
    theirs = {"a.ts": NEW, "new.ts": NEW}
    merges = merge_trees(base, {k: _enc(v) for k, v in ours.items()}, theirs)
    files = {f.path: f.content for f in merged_files(ours, merges)}
    assert set(files) == {"a.ts", "mine.ts", "new.ts"}
    assert "// reviewed" in files["a.ts"] and "import b;" in files["a.ts"]
    assert files["mine.ts"] == "mine\n"


def _service(node: str, folder: str) -> ExportedService:
    return ExportedService(
        node_id=node, service_name=folder, folder=folder, bundle_uri=f"u/{node}", bundle_hash="h"
    )


def test_record_update_replaces_exported_drops_dropped_and_keeps_the_rest() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    previous = ExportRecord(
        project_id="p",
        exported_at=now,
        services=[_service("n1", "a"), _service("n2", "b"), _service("n3", "c")],
    )
    fresh = _service("n1", "a2")
    record = updated_record(previous, "p", [fresh], ["n3"], now)
    assert [s.node_id for s in record.services] == ["n1", "n2"]
    assert record.service("n1") == fresh
    again = ExportRecord.model_validate_json(record.model_dump_json(by_alias=True))
    assert again == record


def _stored(d: Deps, files: dict[str, str], project: str = "p1") -> str:
    generated = [GeneratedFile(path=p, content=c) for p, c in files.items()]
    return write_bundle(d.store, project, "n1", generated, {}).uri


def test_merge_bundle_task_body_stores_the_merged_bundle(make_deps: MakeDeps) -> None:
    d = make_deps()
    base = _stored(d, {"a.ts": BASE})
    user = _stored(d, {"a.ts": USER, "mine.ts": "mine\n"})
    new = _stored(d, {"a.ts": NEW})
    request = MergeBundlePayload(
        project_id="p1", node_id="n1", base_bundle_uri=base, user_bundle_uri=user
    )
    with pytest.raises(NotFoundError):  # no generation yet: nothing new to merge with
        merge_bundles(d, request)
    result = merge_bundles(d, request.model_copy(update={"new_bundle_uri": new}))
    assert result.clean and result.summary["merged"] == 1
    merged = {f.path: f.content for f in read_bundle(d.store, result.bundle_uri)}
    assert merged == {"a.ts": "import a;\nimport b;\n" + USER.removeprefix("import a;\n"),
                      "mine.ts": "mine\n"}  # fmt: skip


def test_merge_bundle_refuses_another_projects_bundle(make_deps: MakeDeps) -> None:
    d = make_deps()
    foreign = _stored(d, {"a.ts": BASE}, project="other")
    mine = _stored(d, {"a.ts": BASE})
    request = MergeBundlePayload(
        project_id="p1",
        node_id="n1",
        base_bundle_uri=mine,
        user_bundle_uri=foreign,
        new_bundle_uri=mine,
    )
    with pytest.raises(PayloadError):
        merge_bundles(d, request)


def test_a_lost_base_bundle_falls_back_to_the_recorded_hashes(make_deps: MakeDeps) -> None:
    d = make_deps()
    previous = ExportedService(
        node_id="n1",
        service_name="s",
        folder="s",
        bundle_uri="projects/p1/nodes/n1/bundles/gone",
        bundle_hash="gone",
        files={"a.ts": GeneratedFile(path="a.ts", content=BASE).sha256, "b.ts": "0" * 64},
    )
    ours = {"s/a.ts": BASE.encode(), "s/b.ts": USER.encode()}
    base = base_files(d, previous, ours)
    assert base == {"s/a.ts": BASE}  # untouched since the export: its own base
    merges = {m.change.path: m for m in merge_trees(base, ours, {"s/a.ts": NEW, "s/b.ts": NEW})}
    assert merges["s/a.ts"].change.action is FileAction.REPLACED
    assert merges["s/b.ts"].change.action is FileAction.CONFLICT  # no base: never overwritten
