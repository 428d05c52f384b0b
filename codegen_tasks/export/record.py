"""`DIR/.codegen/export.json`: what was last exported into DIR, the base of the next merge."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from pydantic import Field, ValidationError

from codegen_tasks.domain.wire import Message
from codegen_tasks.errors import ExportError
from codegen_tasks.export import tree

RECORD_PATH = ".codegen/export.json"
RECORD_VERSION = 1


class ExportedService(Message):
    """One service as it was exported: its bundle is the base of the next merge."""

    node_id: str
    service_name: str
    folder: str  # below DIR; the bundle's files live below it
    run_id: str | None = None
    generation_id: str | None = None
    bundle_uri: str
    bundle_hash: str
    files: dict[str, str] = Field(default_factory=dict)  # bundle path -> sha256 of the bundle file


class ExportRecord(Message):
    version: int = RECORD_VERSION
    project_id: str
    exported_at: datetime
    services: list[ExportedService] = Field(default_factory=list)

    def service(self, node_id: str) -> ExportedService | None:
        return next((s for s in self.services if s.node_id == node_id), None)


def load_record(root: Path) -> ExportRecord | None:
    """The record in DIR, or None when DIR holds no earlier export."""
    raw = tree.read_file(root, RECORD_PATH)
    if raw is None:
        return None
    try:
        return ExportRecord.model_validate_json(raw)
    except ValidationError as exc:
        raise ExportError(
            f"{RECORD_PATH} is not a valid export record: {exc.errors()[0]['msg']}",
            path=RECORD_PATH,
        ) from exc


def updated_record(
    previous: ExportRecord | None,
    project_id: str,
    exported: list[ExportedService],
    dropped: list[str],
    now: datetime,
) -> ExportRecord:
    """The previous record with `exported` services replaced or added, `dropped` node ids
    removed; services this export did not touch stay as they were."""
    touched = {s.node_id for s in exported} | set(dropped)
    kept = [s for s in previous.services if s.node_id not in touched] if previous else []
    services = sorted([*kept, *exported], key=lambda s: s.folder)
    return ExportRecord(project_id=project_id, exported_at=now, services=services)


def save_record(root: Path, record: ExportRecord) -> None:
    tree.write_text(root, RECORD_PATH, record.model_dump_json(by_alias=True, indent=2) + "\n")
